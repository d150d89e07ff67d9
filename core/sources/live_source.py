"""A live camera: latest-frame delivery, a no-frame watchdog and reconnection, whatever the transport."""
from __future__ import annotations

import threading
import time
from abc import abstractmethod

import cv2

from ..frame import Frame
from .backoff import ReconnectBackoff
from .capture_reader import CaptureReader
from .errors import SourceError
from .frame_watchdog import FrameWatchdog
from .health import SourceHealth, SourceState
from .latest_frame import LatestFrameSlot
from .rate_meter import RateMeter
from .video_source import CapturedImage, VideoSource

# Above this a "frame rate" is a clock rate (RTSP cameras sometimes announce the 90 kHz RTP clock).
MAX_PLAUSIBLE_FPS = 1000.0
# How long close() waits for the threads to let go of the camera before leaving them to finish on their own.
CLOSE_WAIT_S = 1.0


class LiveSource(VideoSource):
    """A camera read by a background thread that keeps only the newest frame.

    read() waits for a frame newer than the last one returned; frames the consumer was too slow for are
    dropped and counted. A supervisor thread restarts the connection when a read fails, and also when the
    connection stays up but no frame arrives for `stall_timeout` seconds; reconnection attempts back off
    exponentially (from `reconnect_initial` up to `reconnect_max` seconds, with jitter) and go on forever
    unless `max_retries` is set, after which the state is failed and read() returns None.

    The first connection is made in the constructor: a camera that cannot be opened raises SourceError."""

    live = True

    def __init__(
        self,
        source_id: str,
        *,
        stall_timeout: float,
        reconnect_initial: float,
        reconnect_max: float,
        max_retries: int | None,
    ) -> None:
        super().__init__()
        self.source_id = source_id
        if not stall_timeout > 0:
            raise SourceError(
                f"{self.description}: stall_timeout must be above 0 s, got {stall_timeout}; fix the option"
            )
        if max_retries is not None and max_retries < 0:
            raise SourceError(f"{self.description}: max_retries must be 0 or more, got {max_retries}; fix the option")
        try:
            self._backoff = ReconnectBackoff(reconnect_initial, reconnect_max)
        except ValueError as err:
            raise SourceError(f"{self.description}: {err}; fix the reconnect options") from err
        self._stall_timeout = stall_timeout
        self._max_retries = max_retries

        capture = self._open_capture()
        announced_fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = announced_fps if 0 < announced_fps <= MAX_PLAUSIBLE_FPS else None
        self.size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))

        self._slot: LatestFrameSlot[CapturedImage] = LatestFrameSlot()
        self._closed = threading.Event()
        self._wake = threading.Condition()  # the supervisor sleeps on it: reader exit, close, watchdog deadline
        self._stats = threading.Lock()
        self._state = SourceState.CONNECTED
        self._frames_read = 0
        self._reconnects = 0
        self._last_error: str | None = None
        self._meter = RateMeter()
        self._supervisor = threading.Thread(
            target=self._supervise, args=(capture,), name=f"{source_id} supervisor", daemon=True
        )
        self._supervisor.start()

    @property
    @abstractmethod
    def description(self) -> str:
        """What the source is, for messages: 'RTSP stream rtsp://cam/1', 'USB camera 0'."""

    @abstractmethod
    def _open_capture(self) -> cv2.VideoCapture:
        """Open the camera, bounded in time; SourceError saying why when it cannot be opened."""

    def read(self) -> Frame | None:
        if self._closed.is_set():
            return None
        captured = self._slot.take()
        if captured is None or self._closed.is_set():
            return None
        return self._deliver(captured)

    def close(self) -> None:
        with self._wake:
            self._closed.set()
            self._wake.notify_all()
        self._slot.close()
        self._supervisor.join(CLOSE_WAIT_S)
        with self._stats:
            if self._state is not SourceState.FAILED:
                self._state = SourceState.ENDED

    def health(self) -> SourceHealth:
        with self._stats:
            return SourceHealth(
                state=self._state,
                frames_read=self._frames_read,
                frames_dropped=self._slot.dropped,
                reconnects=self._reconnects,
                last_error=self._last_error,
                fps=self._meter.rate(time.monotonic()),
            )

    def _on_frame(self, captured: CapturedImage) -> None:
        with self._stats:
            self._frames_read += 1
        self._meter.tick(captured.t_capture)
        self._slot.put(captured)

    def _wake_supervisor(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def _supervise(self, capture: cv2.VideoCapture) -> None:
        while True:
            watchdog = FrameWatchdog(self._stall_timeout)
            reader = CaptureReader(capture, self._on_frame, watchdog, self._wake_supervisor, f"{self.source_id} reader")
            cause = self._watch(reader, watchdog)
            reader.stop(wait=CLOSE_WAIT_S if cause is None else 0.0)
            if cause is None:
                return
            if reader.frames:
                self._backoff.reset()
            with self._stats:
                self._state = SourceState.RECONNECTING
                self._last_error = f"{self.description}: {cause}; reconnecting"
            reconnected = self._reconnect()
            if reconnected is None:
                return
            capture = reconnected

    def _watch(self, reader: CaptureReader, watchdog: FrameWatchdog) -> str | None:
        """Wait until the connection fails or stalls (the cause) or the source is closed (None)."""
        with self._wake:
            while not self._closed.is_set():
                if reader.finished:
                    return reader.error or "the stream ended"
                if watchdog.expired():
                    return f"no frame for {watchdog.timeout:g} s although connected (stalled stream)"
                self._wake.wait(watchdog.remaining())
        return None

    def _reconnect(self) -> cv2.VideoCapture | None:
        failures = 0
        while self._max_retries is None or failures < self._max_retries:
            if self._closed.wait(self._backoff.next_delay()):
                return None
            try:
                capture = self._open_capture()
            except SourceError as err:
                failures += 1
                with self._stats:
                    self._last_error = str(err)
                continue
            if self._closed.is_set():
                capture.release()
                return None
            with self._stats:
                self._state = SourceState.CONNECTED
                self._reconnects += 1
            return capture
        with self._stats:
            self._state = SourceState.FAILED
            self._last_error = (
                f"{self.description}: gave up after {failures} failed reconnection attempts "
                f"(last: {self._last_error}); check the camera and its network, then restart"
            )
        self._slot.close()
        return None
