"""File replay on real footage from the shared corpus (SOURCES.md says what each clip is and what decodes)."""
import pytest
from edgesight.core.sources import SourceState, open_source


def replay(path):
    with open_source(str(path), pace=False) as source:
        frames = [(f.seq, f.media_ts, f.image.shape) for f in source]
        return source, frames, source.health()


def test_mpeg4_avi_with_an_undecodable_tail(realdata):
    # Header: 750 frames at 25 fps; the last 2 do not decode. OpenCV reports this file's positions shifted by
    # 0.12 s and the final frame at 0: the source still gives a clean 0-based timeline.
    path = realdata / "traffic" / "videos" / "bgslibrary_video02.avi"
    source, frames, health = replay(path)
    assert source.size == (320, 240) and source.fps == pytest.approx(25.0)
    assert len(frames) == 748
    assert [ts for _, ts, _ in frames] == pytest.approx([i / 25 for i in range(748)])
    assert health.state is SourceState.ENDED
    assert health.last_error is not None and "cut short after 748 of 750 frames" in health.last_error


def test_h264_mp4_720p(realdata):
    source, frames, health = replay(realdata / "traffic" / "videos" / "swdee_cars.mp4")
    assert source.size == (1280, 720) and source.fps == pytest.approx(30.0)
    assert [seq for seq, _, _ in frames] == list(range(268))
    assert [ts for _, ts, _ in frames] == pytest.approx([i / 30 for i in range(268)], abs=1e-3)
    assert {shape for _, _, shape in frames} == {(720, 1280, 3)}
    assert health.last_error is None


def test_folder_of_real_cctv_frames(realdata):
    folder = realdata / "traffic" / "labeled_vehicles_voc"
    with open_source(str(folder), pace=False) as source:
        shapes = [f.image.shape[:2] for f in source]
    assert len(shapes) == 20  # the .jpg files; the VOC .xml beside them are skipped
    assert set(shapes) == {(720, 1280), (1080, 1920)}
