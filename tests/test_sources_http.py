"""HTTP MJPEG camera source against a real HTTP server (tests/servers/mjpeg_http_server.py)."""
import time
from collections.abc import Iterator

import cv2
import pytest
from edgesight.core.sources import SourceState, StreamSource, open_source
from fixtures.videos import frame_number, numbered_image
from servers.mjpeg_http_server import MjpegHttpServer


@pytest.fixture
def mjpeg_server() -> Iterator[MjpegHttpServer]:
    server = MjpegHttpServer([cv2.imencode(".jpg", numbered_image(i))[1].tobytes() for i in range(50)])
    server.start()
    yield server
    server.stop()


def test_reads_an_http_mjpeg_camera_and_reconnects_after_it_restarts(mjpeg_server):
    with open_source(mjpeg_server.url, read_timeout=1.0, stall_timeout=0.5, reconnect_initial=0.2) as source:
        assert isinstance(source, StreamSource) and source.description.startswith("HTTP stream")
        assert source.size == (320, 240)
        assert [frame_number(source.read().image) for _ in range(10)] == list(range(10))
        mjpeg_server.stop()
        stopped = time.monotonic()
        while source.health().state is not SourceState.RECONNECTING:
            assert time.monotonic() - stopped < 2.0
            time.sleep(0.02)
        mjpeg_server.start()  # same port
        while frame_number(source.read().image) != 0:  # a new connection starts at the first image
            assert time.monotonic() - stopped < 4.0
        health = source.health()
    assert health.reconnects == 1 and health.state is SourceState.CONNECTED
