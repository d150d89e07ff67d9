"""RTSP camera source against a real RTSP server (tests/fixtures/rtsp.py): delivery, dropping for a slow consumer,
reconnecting after the server is killed and restarted, and a frozen server caught by the watchdog while the read
time-out frees the hung read."""
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
from edgesight.core.sources import SourceHealth, SourceState, StreamSource, open_source
from fixtures.videos import frame_number

# Short delays so that every recovery fits in a couple of seconds.
FAST = {"open_timeout": 1.0, "read_timeout": 1.0, "stall_timeout": 0.8, "reconnect_initial": 0.2}


def wait_for_health(source, check: Callable[[SourceHealth], bool], timeout: float) -> tuple[SourceHealth, float]:
    """Poll health() until `check` passes; the health that passed and how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        health = source.health()
        if check(health):
            return health, time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"health never matched within {timeout} s; last: {source.health()}")


def test_reads_the_camera_in_order_with_fresh_stamps(rtsp_server, h264_video):
    with open_source(rtsp_server.url, **FAST) as source:
        assert isinstance(source, StreamSource) and source.live
        assert source.size == h264_video.size and source.fps == pytest.approx(25.0)
        assert source.source_id == rtsp_server.url.removeprefix("rtsp://")
        frames = [source.read() for _ in range(40)]
        health = source.health()
    assert [frame_number(f.image) for f in frames] == list(range(40))
    assert [f.seq for f in frames] == list(range(40))
    assert all(f.media_ts is None and f.stamps["capture"] <= f.stamps["decoded"] for f in frames)
    assert health.state is SourceState.CONNECTED and health.frames_dropped == 0
    assert health.fps == pytest.approx(25.0, rel=0.15)
    assert source.health().state is SourceState.ENDED


def test_slow_consumer_gets_the_newest_frame_and_drops_are_counted(rtsp_server):
    with open_source(rtsp_server.url, **FAST) as source:
        source.read()
        frames = []
        for _ in range(6):
            time.sleep(0.2)  # inference five times slower than the camera
            frames.append(source.read())
            assert time.monotonic() - frames[-1].t_capture < 0.1  # fresh, not from a backlog
        health = source.health()
    assert [f.seq for f in frames] == list(range(1, 7))
    numbers = [frame_number(f.image) for f in frames]
    assert all(3 <= step <= 7 for step in np.diff(numbers))  # ~5 camera frames per read
    assert health.frames_dropped >= 20
    assert health.frames_read - health.frames_dropped in (7, 8)  # delivered, plus at most one waiting


def test_reconnects_by_itself_after_the_server_is_killed_and_restarted(rtsp_server):
    with open_source(rtsp_server.url, **FAST) as source:
        assert [frame_number(source.read().image) for _ in range(5)] == list(range(5))
        rtsp_server.kill()
        killed = time.monotonic()
        wait_for_health(source, lambda h: h.state is SourceState.RECONNECTING, timeout=1.0)
        time.sleep(0.5)  # the camera stays away a moment; the first attempts are refused
        rtsp_server.start()  # same port
        health, _ = wait_for_health(source, lambda h: h.reconnects == 1, timeout=5.0)
        assert health.state is SourceState.CONNECTED
        while frame_number((frame := source.read()).image) != 0:  # the restarted server begins at frame 0
            assert time.monotonic() - killed < 6.0
        back_after = time.monotonic() - killed
        assert frame.seq >= 5
        assert [frame_number(source.read().image) for _ in range(3)] == [1, 2, 3]
    assert back_after < 3.0
    assert "cannot be opened" in health.last_error or "read failed" in health.last_error


def reader_threads(source) -> int:
    return sum(t.name == f"{source.source_id} reader" for t in threading.enumerate())


def test_frozen_server_is_caught_by_the_watchdog_and_the_read_timeout_frees_the_hung_read(rtsp_server):
    with open_source(rtsp_server.url, **FAST) as source:
        source.read()
        rtsp_server.freeze()
        frozen = time.monotonic()
        health, detected_after = wait_for_health(source, lambda h: h.state is SourceState.RECONNECTING, timeout=3.0)
        assert "no frame for 0.8 s" in health.last_error
        assert detected_after < FAST["stall_timeout"] + 0.5
        # The abandoned connection's read is stuck in FFmpeg until the read time-out (~3x) lets it go.
        assert reader_threads(source) == 1
        while reader_threads(source):
            assert time.monotonic() - frozen < 3 * FAST["read_timeout"] + 1.0
            time.sleep(0.02)
        # While frozen, reconnection attempts time out on open instead of hanging.
        health, _ = wait_for_health(source, lambda h: "open time-out" in (h.last_error or ""), timeout=3.0)
        assert health.state is SourceState.RECONNECTING
        rtsp_server.thaw()
        health, _ = wait_for_health(source, lambda h: h.reconnects == 1, timeout=6.0)
        assert health.state is SourceState.CONNECTED
        started = source.read().seq
        assert [source.read().seq for _ in range(3)] == [started + 1, started + 2, started + 3]


def test_gives_up_after_max_retries_and_read_returns_none(rtsp_server):
    with open_source(rtsp_server.url, **{**FAST, "reconnect_initial": 0.05}, max_retries=2) as source:
        source.read()
        rtsp_server.kill()
        health, _ = wait_for_health(source, lambda h: h.state is SourceState.FAILED, timeout=3.0)
        assert "gave up after 2 failed reconnection attempts" in health.last_error
        started = time.monotonic()
        while source.read() is not None:  # a frame still waiting is handed out, then the end
            assert time.monotonic() - started < 1.0
    assert source.health().state is SourceState.FAILED


def test_close_returns_promptly_while_reconnecting(rtsp_server):
    source = open_source(rtsp_server.url, **FAST)
    source.read()
    rtsp_server.kill()
    wait_for_health(source, lambda h: h.state is SourceState.RECONNECTING, timeout=1.0)
    started = time.monotonic()
    source.close()
    assert time.monotonic() - started < 1.5
    assert source.read() is None
    assert source.health().state is SourceState.ENDED
