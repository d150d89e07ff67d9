"""Input a source cannot use: one SourceError, one line, naming the source, the cause and the remedy."""
import socket
import time
from collections.abc import Iterator

import pytest
from edgesight.core.sources import SourceError, SourceState, open_source


def one_line_error(excinfo: pytest.ExceptionInfo[SourceError], *names: str) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and ";" in message  # cause; then what to do
    for name in names:
        assert name in message
    return message


def test_missing_file(tmp_path):
    missing = tmp_path / "nowhere.mp4"
    with pytest.raises(SourceError) as excinfo:
        open_source(str(missing))
    assert "not found" in one_line_error(excinfo, str(missing))


def test_text_file_named_like_a_video(not_a_video):
    with pytest.raises(SourceError) as excinfo:
        open_source(str(not_a_video))
    assert "cannot be opened as a video" in one_line_error(excinfo, str(not_a_video))


def test_truncated_mp4_cannot_be_opened(truncated_mp4):
    with pytest.raises(SourceError) as excinfo:
        open_source(str(truncated_mp4))
    assert "truncated" in one_line_error(excinfo, str(truncated_mp4))


def test_truncated_avi_replays_what_decodes_then_says_it_was_cut_short(truncated_video, mjpg_video):
    assert 0 < truncated_video.frames < mjpg_video.frames
    with open_source(str(truncated_video.path), pace=False) as source:
        frames = list(source)
        health = source.health()
    assert len(frames) == truncated_video.frames
    assert health.state is SourceState.ENDED
    assert health.last_error is not None
    assert f"cut short after {truncated_video.frames} of {mjpg_video.frames} frames" in health.last_error
    assert str(truncated_video.path) in health.last_error


def test_folder_without_images(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(SourceError) as excinfo:
        open_source(str(tmp_path))
    assert "holds no" in one_line_error(excinfo, str(tmp_path))


def test_folder_skips_an_image_that_does_not_decode(image_folder, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for image in sorted(image_folder.glob("frame_00[0-2].*")):
        (folder / image.name).write_bytes(image.read_bytes())
    broken = folder / "frame_001b.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    with open_source(str(folder), pace=False) as source:
        frames = list(source)
        health = source.health()
    assert len(frames) == 3
    assert health.last_error is not None and str(broken) in health.last_error


def test_folder_fps_must_be_positive(image_folder):
    with pytest.raises(SourceError) as excinfo:
        open_source(str(image_folder), fps=0)
    one_line_error(excinfo, str(image_folder), "fps")


def test_unknown_option_names_what_the_source_takes(mp4v_video):
    with pytest.raises(SourceError) as excinfo:
        open_source(str(mp4v_video.path), read_timeout=1.0)
    one_line_error(excinfo, "read_timeout", "FileSource", "pace")


def test_missing_usb_camera():
    with pytest.raises(SourceError) as excinfo:
        open_source("usb:63")
    assert "cannot be opened" in one_line_error(excinfo, "USB camera 63")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_stream_url_with_nothing_listening_fails_at_once():
    url = f"rtsp://127.0.0.1:{free_port()}/cam"
    started = time.monotonic()
    with pytest.raises(SourceError) as excinfo:
        open_source(url, open_timeout=2.0)
    assert time.monotonic() - started < 1.0
    assert "refused" in one_line_error(excinfo, "RTSP stream", url)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose kernel completes the TCP handshake but where nobody ever answers: a hung camera."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_stream_that_never_answers_fails_after_the_open_timeout(silent_port):
    started = time.monotonic()
    with pytest.raises(SourceError) as excinfo:
        open_source(f"rtsp://127.0.0.1:{silent_port}/cam", open_timeout=0.5)
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 1.5
    assert "no answer within the 0.5 s open time-out" in one_line_error(excinfo)


def test_stream_password_never_appears_in_ids_or_errors():
    url = f"rtsp://admin:hunter2@127.0.0.1:{free_port()}/cam"
    with pytest.raises(SourceError) as excinfo:
        open_source(url)
    message = one_line_error(excinfo, "admin:***@127.0.0.1")
    assert "hunter2" not in message


def test_stream_timeouts_must_be_positive():
    with pytest.raises(SourceError) as excinfo:
        open_source("rtsp://127.0.0.1:1/cam", read_timeout=0)
    one_line_error(excinfo, "read_timeout")


def test_stream_watchdog_must_be_shorter_than_the_read_timeout():
    with pytest.raises(SourceError) as excinfo:
        open_source("rtsp://127.0.0.1:1/cam", read_timeout=2.0, stall_timeout=5.0)
    one_line_error(excinfo, "stall_timeout (5 s)", "read_timeout (2 s)")
