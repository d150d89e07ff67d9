"""A camera attached to the box (USB/UVC or any V4L2 device)."""
from __future__ import annotations

import sys

import cv2

from .errors import SourceError
from .live_source import LiveSource


class UsbSource(LiveSource):
    """A local camera by index (0) or device path (/dev/video0). `width`, `height` and `fps` are requests to
    the driver; the camera may pick the nearest mode it has, and `size` and `fps` report what it picked.

    V4L2 reads have no configurable time-out in OpenCV; the watchdog (`stall_timeout`) covers a camera that
    stays open but stops delivering."""

    def __init__(
        self,
        device: int | str,
        *,
        source_id: str | None = None,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        stall_timeout: float = 2.0,
        reconnect_initial: float = 0.5,
        reconnect_max: float = 10.0,
        max_retries: int | None = None,
    ) -> None:
        self.device = device
        self._requested = {
            cv2.CAP_PROP_FRAME_WIDTH: width,
            cv2.CAP_PROP_FRAME_HEIGHT: height,
            cv2.CAP_PROP_FPS: fps,
        }
        default_id = f"usb{device}" if isinstance(device, int) else device.rsplit("/", 1)[-1]
        super().__init__(
            source_id or default_id,
            stall_timeout=stall_timeout,
            reconnect_initial=reconnect_initial,
            reconnect_max=reconnect_max,
            max_retries=max_retries,
        )

    @property
    def description(self) -> str:
        return f"USB camera {self.device}"

    def _open_capture(self) -> cv2.VideoCapture:
        backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        capture = cv2.VideoCapture(self.device, backend)
        if not capture.isOpened():
            capture.release()
            raise SourceError(
                f"{self.description}: cannot be opened; check that it is plugged in, that the device number is "
                "right (ls /dev/video*) and that no other program is using it"
            )
        for prop, value in self._requested.items():
            if value is not None:
                capture.set(prop, value)
        return capture
