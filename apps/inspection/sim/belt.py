"""The belt under the camera: rubber or PVC grain, streaks along the running direction, dust, a splice and the side
rails. The texture is a loop longer than the view; `view(offset)` scrolls it so the belt moves with its parts."""
from __future__ import annotations

import cv2
import numpy as np

_BELT_BGR = np.array([[42, 42, 44], [55, 80, 50], [95, 95, 92], [85, 65, 50], [30, 30, 30]], dtype=np.float32)


class BeltRenderer:
    def __init__(self, width: int, height: int, rng: np.random.Generator, loop_factor: int = 4) -> None:
        self.width, self.height = width, height
        length = width * loop_factor
        base = _BELT_BGR[int(rng.integers(len(_BELT_BGR)))] * rng.uniform(0.8, 1.25)
        grain = cv2.GaussianBlur(rng.normal(0, rng.uniform(3, 7), (height, length)).astype(np.float32), (0, 0), rng.uniform(0.8, 1.6))
        # Streaks run along the belt: a per-row brightness stretched over the whole length.
        streaks = cv2.resize(rng.normal(0, rng.uniform(0.5, 2.5), (height, max(2, length // 200))).astype(np.float32), (length, height))
        texture = base + (grain + streaks)[..., None]
        for _ in range(int(length * height * rng.uniform(2e-5, 1.5e-4))):
            x, y = int(rng.integers(length)), int(rng.integers(height))
            cv2.circle(texture, (x, y), int(rng.integers(0, 2)), tuple(float(v) for v in base + rng.uniform(25, 70)), -1)
        splice = int(rng.integers(3, 7))
        texture[:, :splice] *= rng.uniform(0.7, 1.3)
        edge = int(height * rng.uniform(0.0, 0.07))
        if edge:
            rail = np.linspace(1.3, 0.8, edge, dtype=np.float32)[:, None, None] * rng.uniform(110, 170)
            texture[:edge] = rail + rng.normal(0, 2, (edge, length, 1))
            texture[-edge:] = rail[::-1] + rng.normal(0, 2, (edge, length, 1))
        self.belt_edge_px = edge  # parts ride between the rails
        self.texture = np.clip(texture, 0, 255).astype(np.float32)

    def view(self, offset_px: float) -> np.ndarray:
        """The belt as the camera sees it after the belt moved `offset_px` in the running direction (+x)."""
        # Moving the belt by +d shows at column i what was at column i - d: a rolled, wrapping window.
        columns = (np.arange(self.width) - int(round(offset_px))) % self.texture.shape[1]
        return np.take(self.texture, columns, axis=1)
