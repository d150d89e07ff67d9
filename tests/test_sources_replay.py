"""Replay of video files and image folders: frame count, order, media timestamps, pacing, looping, closing."""
import threading
import time

import numpy as np
import pytest
from edgesight.core.sources import FileSource, FolderSource, SourceState, open_source
from fixtures.videos import frame_number


@pytest.mark.parametrize("video", ["mp4v_video", "mjpg_video", "h264_video"])
def test_unpaced_replay_delivers_every_frame_in_order_with_media_timestamps(video, request):
    generated = request.getfixturevalue(video)
    with open_source(str(generated.path), pace=False) as source:
        assert isinstance(source, FileSource) and not source.live
        assert source.size == generated.size and source.fps == pytest.approx(generated.fps)
        started = time.monotonic()
        frames = list(source)
        elapsed = time.monotonic() - started
        health = source.health()
    assert [frame_number(f.image) for f in frames] == list(range(generated.frames))
    assert [f.seq for f in frames] == list(range(generated.frames))
    assert [f.media_ts for f in frames] == pytest.approx([i / generated.fps for i in range(generated.frames)])
    assert elapsed < 0.5 * generated.frames / generated.fps  # far faster than real time
    assert health.state is SourceState.ENDED
    assert (health.frames_read, health.frames_dropped, health.last_error) == (generated.frames, 0, None)


def test_frames_carry_source_id_capture_times_and_decoded_stamp(mp4v_video):
    before_wall = time.time()
    with open_source(str(mp4v_video.path), source_id="gate-3", pace=False) as source:
        frame = source.read()
    assert frame is not None and frame.source_id == "gate-3" and frame.seq == 0
    assert frame.image.dtype == np.uint8 and frame.image.shape == (240, 320, 3)
    assert before_wall <= frame.wall_capture <= time.time()
    assert frame.t_capture <= time.monotonic()
    assert frame.stamps["capture"] <= frame.stamps["decoded"]


def test_default_source_id_is_the_file_stem(mp4v_video):
    with open_source(str(mp4v_video.path)) as source:
        assert source.source_id == "numbered_mp4v"


def test_paced_replay_runs_at_the_file_frame_rate(mjpg_video):
    with open_source(str(mjpg_video.path)) as source:
        started = time.monotonic()
        frames = list(source)
        elapsed = time.monotonic() - started
        measured = source.health().fps
    assert len(frames) == mjpg_video.frames
    expected = (mjpg_video.frames - 1) / mjpg_video.fps  # the first frame is due at once
    assert expected * 0.97 <= elapsed <= expected + 0.3
    assert measured == pytest.approx(mjpg_video.fps, rel=0.1)
    gaps = np.diff([f.t_capture for f in frames])
    assert gaps.min() > 0.5 / mjpg_video.fps and gaps.max() < 2.5 / mjpg_video.fps


def test_paced_replay_never_drops_and_does_not_burst_after_a_slow_consumer(mp4v_video):
    with open_source(str(mp4v_video.path)) as source:
        frames = [source.read() for _ in range(5)]
        time.sleep(0.5)  # the consumer stalls for ~12 frame intervals
        frames += [source.read() for _ in range(6)]
        health = source.health()
    assert [frame_number(f.image) for f in frames] == list(range(11))
    assert health.frames_dropped == 0
    after_stall = np.diff([f.t_capture for f in frames[5:]])
    assert after_stall.min() > 0.5 / mp4v_video.fps  # paced again, no catch-up burst


def test_loop_restarts_the_file_and_keeps_numbering(mp4v_video):
    total = mp4v_video.frames * 2 + 10
    with open_source(str(mp4v_video.path), pace=False, loop=True) as source:
        frames = [source.read() for _ in range(total)]
        assert source.health().state is SourceState.CONNECTED
    assert [frame_number(f.image) for f in frames] == [i % mp4v_video.frames for i in range(total)]
    assert [f.seq for f in frames] == list(range(total))
    assert frames[mp4v_video.frames].media_ts == 0.0


def test_folder_replays_images_in_name_order_and_skips_other_files(image_folder):
    with open_source(str(image_folder), pace=False) as source:
        assert isinstance(source, FolderSource)
        assert source.source_id == image_folder.name and source.size == (320, 240)
        frames = list(source)
    assert [frame_number(f.image) for f in frames] == list(range(12))


def test_folder_paced_at_its_fps_option_and_loops_without_a_gap(image_folder):
    fps = 50.0
    with open_source(str(image_folder), loop=True, fps=fps) as source:
        started = time.monotonic()
        frames = [source.read() for _ in range(30)]
        elapsed = time.monotonic() - started
    assert [frame_number(f.image) for f in frames] == [i % 12 for i in range(30)]
    assert [f.media_ts for f in frames[:3]] == pytest.approx([0.0, 0.02, 0.04])
    assert 29 / fps * 0.97 <= elapsed <= 29 / fps + 0.3
    gaps = np.diff([f.t_capture for f in frames])
    assert gaps.min() > 0.5 / fps and gaps.max() < 2.5 / fps  # wrap-around included


def test_close_from_another_thread_ends_a_paced_wait_at_once(image_folder):
    source = FolderSource(image_folder, fps=0.5)  # the next frame is due 2 s after the first
    assert source.read() is not None
    closer = threading.Timer(0.2, source.close)
    closer.start()
    started = time.monotonic()
    assert source.read() is None
    assert time.monotonic() - started < 0.6
    assert source.health().state is SourceState.ENDED
    assert source.read() is None
    closer.join()
