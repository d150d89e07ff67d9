"""A network camera or stream: RTSP (over TCP) or HTTP, read through OpenCV's FFmpeg backend."""
from __future__ import annotations

import time
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import cv2

from .errors import SourceError
from .ffmpeg_options import FFMPEG_CAPTURE_OPTIONS
from .live_source import LiveSource

STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")

# TCP: UDP loses packets (smeared frames) on any busy network and does not cross NAT. No probing: the SDP
# already describes the stream, and probing costs ~1 s per (re)connect plus ~1 s of buffered backlog.
RTSP_FFMPEG_OPTIONS: Mapping[str, str] = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "32"}


def redacted(url: str) -> str:
    """The URL with its password masked, for ids and messages that end up in logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class StreamSource(LiveSource):
    """An RTSP or HTTP stream. `open_timeout` bounds connecting; `ffmpeg_options` replaces the demuxer options
    (default for RTSP: TCP transport and no probing).

    A stream that goes silent is caught by the watchdog after `stall_timeout`, which must be below
    `read_timeout`: on a silent stream FFmpeg hands out one late, already-buffered frame per read time-out and
    fails only the third read (measured), so a longer watchdog would keep being fed. `read_timeout` then bounds
    how long the abandoned connection lingers (about 3x it) before its thread releases it."""

    def __init__(
        self,
        url: str,
        *,
        source_id: str | None = None,
        open_timeout: float = 5.0,
        read_timeout: float = 3.0,
        stall_timeout: float = 2.0,
        reconnect_initial: float = 0.5,
        reconnect_max: float = 10.0,
        max_retries: int | None = None,
        ffmpeg_options: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in STREAM_SCHEMES or not parts.hostname:
            raise SourceError(f"stream {redacted(url)}: not an rtsp:// or http:// URL with a host; fix the URL")
        self.url = url
        self._kind = "RTSP" if parts.scheme.lower().startswith("rtsp") else "HTTP"
        if not (open_timeout > 0 and read_timeout > 0):
            raise SourceError(f"{self.description}: open_timeout and read_timeout must be above 0 s; fix the options")
        if not stall_timeout < read_timeout:
            raise SourceError(
                f"{self.description}: stall_timeout ({stall_timeout:g} s) must be below read_timeout "
                f"({read_timeout:g} s), or a silent stream goes unnoticed; lower it or raise read_timeout"
            )
        self._open_timeout = open_timeout
        self._read_timeout = read_timeout
        if ffmpeg_options is None:
            ffmpeg_options = RTSP_FFMPEG_OPTIONS if self._kind == "RTSP" else {}
        self._ffmpeg_options = dict(ffmpeg_options)
        super().__init__(
            source_id or f"{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}",
            stall_timeout=stall_timeout,
            reconnect_initial=reconnect_initial,
            reconnect_max=reconnect_max,
            max_retries=max_retries,
        )

    @property
    def description(self) -> str:
        return f"{self._kind} stream {redacted(self.url)}"

    def _open_capture(self) -> cv2.VideoCapture:
        started = time.monotonic()
        with FFMPEG_CAPTURE_OPTIONS.applied(self._ffmpeg_options):
            capture = cv2.VideoCapture(
                self.url,
                cv2.CAP_FFMPEG,
                [
                    cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, round(self._open_timeout * 1000),
                    cv2.CAP_PROP_READ_TIMEOUT_MSEC, round(self._read_timeout * 1000),
                ],
            )
        if not capture.isOpened():
            capture.release()
            if time.monotonic() - started >= 0.9 * self._open_timeout:
                cause = f"no answer within the {self._open_timeout:g} s open time-out"
            else:
                cause = "refused, not found, or not a video stream"
            raise SourceError(
                f"{self.description}: cannot be opened ({cause}); check the camera, the URL and the credentials"
            )
        if capture.get(cv2.CAP_PROP_FRAME_WIDTH) <= 0 or capture.get(cv2.CAP_PROP_FRAME_HEIGHT) <= 0:
            capture.release()
            raise SourceError(
                f"{self.description}: opened but announces no frame size; pass ffmpeg_options with a larger "
                "probesize and analyzeduration"
            )
        return capture
