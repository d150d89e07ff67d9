"""Image pixels to road-plane metres through the homography fixed by four point pairs."""
from __future__ import annotations

import cv2
import numpy as np

from .site import GroundPlaneConfig


class GroundPlane:
    """`to_metres(pixels)` and `to_pixels(metres)` for points on the road surface."""

    def __init__(self, config: GroundPlaneConfig) -> None:
        image = np.array(config.image, dtype=np.float32)
        world = np.array(config.world, dtype=np.float32)
        self.homography = cv2.getPerspectiveTransform(image, world)
        self.inverse = np.linalg.inv(self.homography)

    def to_metres(self, pixels: np.ndarray) -> np.ndarray:
        pts = np.asarray(pixels, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, self.homography).reshape(-1, 2) if len(pts) else np.empty((0, 2))

    def to_pixels(self, metres: np.ndarray) -> np.ndarray:
        pts = np.asarray(metres, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, self.inverse).reshape(-1, 2) if len(pts) else np.empty((0, 2))
