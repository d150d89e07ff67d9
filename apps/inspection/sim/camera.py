"""The camera between the scene and the pipeline: lighting (gain, colour cast, gradient, vignette), motion blur
along the belt, sensor noise and JPEG compression."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class CameraConditions:
    gain: float = 1.0
    colour: tuple[float, float, float] = (1.0, 1.0, 1.0)  # per-channel BGR gain (white balance)
    gradient_angle: float = 0.0  # radians: direction the light falls off to
    gradient: float = 0.0  # relative brightness change across the frame
    vignette: float = 0.0
    blur_px: float = 0.0  # motion-blur length along the belt (belt speed x exposure time x scale)
    noise_sigma: float = 2.0
    jpeg_quality: int = 90

    @classmethod
    def sample(cls, rng: np.random.Generator) -> "CameraConditions":
        """Varied conditions for a training set."""
        return cls(gain=float(rng.uniform(0.65, 1.3)), colour=tuple(float(v) for v in rng.uniform(0.9, 1.1, 3)),
                   gradient_angle=float(rng.uniform(0, 2 * np.pi)), gradient=float(rng.uniform(0, 0.35)),
                   vignette=float(rng.uniform(0, 0.35)), blur_px=float(rng.choice([0.0, rng.uniform(1, 10)], p=[0.3, 0.7])),
                   noise_sigma=float(rng.uniform(0.5, 7)), jpeg_quality=int(rng.integers(45, 96)))


class CameraModel:
    """Renders one frame in about 10 ms at 640x480: the light map is cached per conditions and the noise comes
    from OpenCV's generator (seeded from the caller's rng, so frames stay reproducible)."""

    def __init__(self, width: int, height: int) -> None:
        yy, xx = np.mgrid[:height, :width].astype(np.float32)
        self._x = (xx - width / 2) / width
        self._y = (yy - height / 2) / height
        self._r2 = (self._x ** 2 + self._y ** 2) / 0.5
        self._light: tuple[CameraConditions, np.ndarray] | None = None
        self._noise = np.empty((height, width, 3), np.float32)

    def _light_map(self, c: CameraConditions) -> np.ndarray:
        if self._light is None or self._light[0] != c:
            light = c.gain * (1 + c.gradient * (self._x * np.cos(c.gradient_angle) + self._y * np.sin(c.gradient_angle))) \
                * (1 - c.vignette * self._r2)
            self._light = (c, np.ascontiguousarray(light[..., None] * np.asarray(c.colour, np.float32), np.float32))
        return self._light[1]

    def capture(self, scene: np.ndarray, c: CameraConditions, rng: np.random.Generator) -> np.ndarray:
        """scene: float32 HxWx3 radiance-like BGR (0..255). Returns the BGR uint8 image the camera delivers."""
        img = cv2.multiply(scene, self._light_map(c))
        k = int(round(c.blur_px))
        if k >= 2:
            img = cv2.blur(img, (k, 1))
        cv2.setRNGSeed(int(rng.integers(2**31 - 1)))
        cv2.randn(self._noise, (0.0, 0.0, 0.0), (c.noise_sigma,) * 3)  # a bare float would only reach channel 0
        img8 = cv2.add(img, self._noise, dtype=cv2.CV_8U)
        ok, buf = cv2.imencode(".jpg", img8, [cv2.IMWRITE_JPEG_QUALITY, c.jpeg_quality])
        if not ok:
            raise RuntimeError(f"OpenCV could not JPEG-encode a {img8.shape} frame: check the OpenCV build")
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)
