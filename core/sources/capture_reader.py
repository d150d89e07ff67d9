"""The thread that reads one live connection."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import cv2

from .frame_watchdog import FrameWatchdog
from .video_source import CapturedImage


class CaptureReader:
    """Reads an opened capture as fast as it delivers, on its own thread (OpenCV releases the GIL while it
    waits and decodes), until a read fails or stop() is called; then releases the capture and calls `on_exit`.

    Only this thread ever touches the capture: releasing it from another thread while a read is blocked in
    FFmpeg is unsafe. So a reader stuck on a frozen stream is abandoned, not torn down; its read returns after
    the backend's read time-out, and then it releases the capture itself."""

    def __init__(
        self,
        capture: cv2.VideoCapture,
        deliver: Callable[[CapturedImage], None],
        watchdog: FrameWatchdog,
        on_exit: Callable[[], None],
        name: str,
    ) -> None:
        self.frames = 0
        self.error: str | None = None
        self.finished = False
        self._capture = capture
        self._deliver = deliver
        self._watchdog = watchdog
        self._on_exit = on_exit
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self, wait: float = 0.0) -> None:
        """Stop delivering; wait up to `wait` seconds for the thread to release the capture."""
        self._stopped.set()
        if wait > 0:
            self._thread.join(wait)

    def _run(self) -> None:
        try:
            while not self._stopped.is_set():
                started = time.monotonic()
                if not self._capture.grab():
                    waited = time.monotonic() - started
                    self.error = f"read failed after {waited:.1f} s (stream closed or read time-out)"
                    return
                t_capture, wall_capture = time.monotonic(), time.time()
                ok, image = self._capture.retrieve()
                if not ok:
                    self.error = "a received frame could not be decoded"
                    return
                if self._stopped.is_set():
                    return
                self.frames += 1
                self._watchdog.feed()
                self._deliver(CapturedImage(image, t_capture, wall_capture, time.monotonic()))
        finally:
            self._capture.release()
            self.finished = True
            self._on_exit()
