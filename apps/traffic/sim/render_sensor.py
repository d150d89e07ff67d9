"""What a real roadside camera does to a clean image: lens vignetting, focus and motion blur, sensor noise and
compression artefacts."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class SensorNuisance:
    noise_sigma: float = 2.0  # grey levels of per-pixel sensor noise
    blur_sigma: float = 0.5  # defocus, pixels
    motion_blur_px: int = 0  # length of a horizontal shake smear (0 = none)
    vignetting: float = 0.15  # brightness lost in the corners
    jpeg_quality: int = 85  # the camera's own encoder, before the data-set writer's

    @classmethod
    def random(cls, rng: np.random.Generator) -> SensorNuisance:
        return cls(
            noise_sigma=float(rng.uniform(0.5, 7.0)),
            blur_sigma=float(rng.choice([0.0, rng.uniform(0.3, 1.6)], p=[0.3, 0.7])),
            motion_blur_px=int(rng.choice([0, rng.integers(3, 9)], p=[0.85, 0.15])),
            vignetting=float(rng.uniform(0.0, 0.35)),
            jpeg_quality=int(rng.integers(35, 95)),
        )

    def apply(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        out = image.astype(np.float32)
        if self.blur_sigma > 0:
            out = cv2.GaussianBlur(out, (0, 0), self.blur_sigma)
        if self.motion_blur_px > 1:
            kernel = np.zeros((self.motion_blur_px, self.motion_blur_px), np.float32)
            kernel[self.motion_blur_px // 2] = 1.0 / self.motion_blur_px
            out = cv2.filter2D(out, -1, kernel)
        if self.vignetting > 0:
            out *= (1.0 - self.vignetting * _corner_distance(h, w) / 2)[..., None]
        if self.noise_sigma > 0:
            out += rng.normal(0, self.noise_sigma, out.shape).astype(np.float32)
        out = np.clip(out, 0, 255).astype(np.uint8)
        ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        return cv2.imdecode(encoded, cv2.IMREAD_COLOR) if ok else out


@functools.lru_cache(maxsize=8)
def _corner_distance(h: int, w: int) -> np.ndarray:
    """Squared distance from the image centre, 1 at the middle of each edge (the same for every frame)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
