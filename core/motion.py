"""Motion gating, as Frigate does it: cheap frame differencing decides whether a frame needs the detector at all.

A camera over a still scene (an empty conveyor between parts, a quiet approach at night) sends frames that are
the same as the last one the detector saw, give or take sensor and compression noise. For those the pipeline
keeps the detections it already has instead of running the model. Each frame is compared with the frame the
held detections came from, not with the previous frame, so slow movement adds up until it counts; and the
detector runs at least every `refresh_s` seconds, so a held result never grows old.
"""
from __future__ import annotations

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class MotionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    height: int = Field(180, ge=32, description="rows of the small grey copy that is compared (1080p: 1/6)")
    pixel_threshold: int = Field(25, ge=1, le=255, description="grey-level change that counts as a changed pixel; "
                                 "above sensor and H.264 noise")
    min_changed_pixels: int = Field(6, ge=1, description="changed pixels of the small copy that make motion; 6 at "
                                    "180 rows is about a 15x15 px patch of a 1080p frame")
    refresh_s: float = Field(2.0, gt=0, description="run the detector at least this often on a still scene")


class MotionGate:
    """`needs_detection(image, t) -> bool` for one camera; True also makes `image` the new reference."""

    def __init__(self, config: MotionConfig | None = None) -> None:
        self.config = config or MotionConfig()
        self._reference: np.ndarray | None = None
        self._detected_at = float("-inf")

    def _small_grey(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        rows = min(self.config.height, h)
        small = cv2.resize(image, (max(1, round(w * rows / h)), rows), interpolation=cv2.INTER_LINEAR)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return cv2.GaussianBlur(grey, (5, 5), 0)  # sensor noise and compression blocks are not motion

    def needs_detection(self, image: np.ndarray, t: float) -> bool:
        grey = self._small_grey(image)
        if (self._reference is not None and self._reference.shape == grey.shape
                and t - self._detected_at < self.config.refresh_s):
            diff = cv2.absdiff(grey, self._reference)
            _, changed = cv2.threshold(diff, self.config.pixel_threshold, 255, cv2.THRESH_BINARY)
            if cv2.countNonZero(changed) < self.config.min_changed_pixels:
                return False
        self._reference, self._detected_at = grey, t
        return True
