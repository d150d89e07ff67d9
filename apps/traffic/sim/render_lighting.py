"""Scene lighting: where the sun is, how hard the shadows are and the colour cast of the hour and weather.

One `Lighting` is shared by everything drawn in a frame so that shading, shadows and exposure agree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Lighting:
    sun_azimuth_deg: float = 200.0  # compass direction the sunlight comes from (0 = north, clockwise)
    sun_elevation_deg: float = 40.0
    direct: float = 0.55  # share of the light that comes straight from the sun (0 = overcast)
    exposure: float = 1.0  # overall brightness gain applied to the finished frame
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)  # BGR gain: warm evening, cold overcast

    @property
    def sun_vector(self) -> np.ndarray:
        """Unit vector from the scene towards the sun."""
        az, el = math.radians(self.sun_azimuth_deg), math.radians(self.sun_elevation_deg)
        return np.array([math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), math.sin(el)])

    @property
    def shadow_darkening(self) -> float:
        """Factor a surface in shadow is multiplied by: it loses the direct share of its light."""
        return 1.0 - 0.85 * self.direct

    def shade(self, normals: np.ndarray) -> np.ndarray:
        """Brightness factor (N,) of surfaces with unit `normals` (N, 3): sky light from above plus sun."""
        sky = 0.55 + 0.25 * np.clip(normals[:, 2], 0.0, 1.0)
        sun = np.clip(normals @ self.sun_vector, 0.0, 1.0)
        return (1.0 - self.direct) * sky + self.direct * (0.45 + 0.75 * sun)

    def apply(self, image: np.ndarray) -> np.ndarray:
        """Expose and tint a finished BGR uint8 frame."""
        gain = np.asarray(self.tint, dtype=np.float32) * self.exposure
        return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)

    @classmethod
    def random(cls, rng: np.random.Generator) -> Lighting:
        """Daylight from overcast to low evening sun, the range a road camera records from dawn to dusk."""
        kind = rng.choice(["sunny", "overcast", "evening", "dim"], p=[0.45, 0.3, 0.15, 0.1])
        if kind == "sunny":
            return cls(rng.uniform(0, 360), rng.uniform(25, 70), rng.uniform(0.5, 0.75), rng.uniform(0.9, 1.15),
                       tuple(rng.uniform(0.95, 1.05, 3)))
        if kind == "overcast":
            return cls(rng.uniform(0, 360), rng.uniform(20, 60), rng.uniform(0.0, 0.2), rng.uniform(0.8, 1.05),
                       (rng.uniform(1.0, 1.08), rng.uniform(0.98, 1.03), rng.uniform(0.92, 1.0)))
        if kind == "evening":
            return cls(rng.uniform(0, 360), rng.uniform(5, 20), rng.uniform(0.4, 0.65), rng.uniform(0.75, 1.0),
                       (rng.uniform(0.75, 0.9), rng.uniform(0.9, 1.0), rng.uniform(1.05, 1.2)))
        return cls(rng.uniform(0, 360), rng.uniform(5, 30), rng.uniform(0.0, 0.2), rng.uniform(0.4, 0.6),
                   (rng.uniform(1.0, 1.15), rng.uniform(0.95, 1.05), rng.uniform(0.85, 1.0)))
