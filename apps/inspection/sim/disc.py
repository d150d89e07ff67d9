"""Draws a turned metal disc seen from above: central bore, a bolt circle of through-holes, concentric tool marks and
the bow-tie highlight a turned surface shows under one light."""
from __future__ import annotations

import numpy as np

from .surface import PartSurface, disc_mask

# Steel, aluminium and brass as BGR tints on a grey level.
_TINTS = np.array([[1.0, 1.0, 1.0], [1.03, 1.0, 0.97], [0.55, 0.85, 1.05]], dtype=np.float32)
_TINT_P = np.array([0.5, 0.35, 0.15])


class DiscRenderer:
    def render(self, diameter_px: float, rng: np.random.Generator, omit_feature: bool) -> PartSurface:
        size = int(np.ceil(diameter_px)) + 4
        c = (size - 1) / 2.0
        R = diameter_px / 2.0
        yy, xx = np.mgrid[:size, :size].astype(np.float32)
        r = np.hypot(xx - c, yy - c)
        th = np.arctan2(yy - c, xx - c)

        grey = rng.uniform(115.0, 185.0)
        tint = _TINTS[rng.choice(len(_TINTS), p=_TINT_P)]
        period = rng.uniform(1.6, 3.5)
        light = rng.uniform(0, np.pi)
        level = (1.0 + 0.05 * np.sin(2 * np.pi * r / period + rng.uniform(0, 6.3))
                 + rng.uniform(0.1, 0.25) * np.cos(2 * (th - light)) ** 6
                 - 0.06 * (r / R))
        hub_r = R * rng.uniform(0.33, 0.45)
        level -= 0.25 * np.clip(1.2 - np.abs(r - hub_r), 0, 1)  # the groove at the hub step
        level += rng.uniform(-0.12, 0.12) * (r < hub_r)  # hub face sits at a different height: other brightness
        level += 0.3 * np.clip(r - (R - 2.5), 0, 1) * rng.choice([-1.0, 1.0])  # rim chamfer
        bgr = grey * level[..., None] * tint + rng.normal(0, 2.5, (size, size, 1)).astype(np.float32)

        alpha = disc_mask((size, size), c, c, R)
        bore_r = R * rng.uniform(0.12, 0.22)
        alpha *= 1.0 - disc_mask((size, size), c, c, bore_r)
        n_holes = int(rng.integers(4, 9))
        bolt_r = R * rng.uniform(0.58, 0.72)
        hole_r = max(3.5, R * rng.uniform(0.06, 0.1))
        phase = rng.uniform(0, 2 * np.pi)
        centres = [(c + bolt_r * np.cos(phase + 2 * np.pi * k / n_holes), c + bolt_r * np.sin(phase + 2 * np.pi * k / n_holes))
                   for k in range(n_holes)]
        # Drawn either way so a part looks identical with and without this defect except at the hole itself.
        candidate = int(rng.integers(n_holes))
        left_out = candidate if omit_feature else -1
        keep_out = np.zeros((size, size), dtype=bool)
        missing = None
        for k, (hx, hy) in enumerate(centres):
            d = np.hypot(xx - hx, yy - hy)
            keep_out |= d < hole_r + 3
            if k == left_out:
                # Spotted but never drilled: a centre-punch mark and a faint spot-face ring where the hole belongs.
                bgr *= (1.0 - 0.55 * np.clip(2.0 - d, 0, 1))[..., None]
                bgr *= (1.0 - 0.35 * np.clip(1.5 - np.abs(d - hole_r * 0.9), 0, 1))[..., None]
                missing = d < hole_r + 1.5
                continue
            bgr *= (1.0 + 0.45 * np.clip(1.5 - np.abs(d - hole_r - 1.0), 0, 1))[..., None]  # bright drilled chamfer
            alpha *= 1.0 - disc_mask((size, size), hx, hy, hole_r)
        paintable = (alpha > 0.99) & (r > bore_r + 3) & (r < R - 3) & ~keep_out
        return PartSurface(np.clip(bgr, 0, 255).astype(np.float32), alpha, paintable, "metal", missing)
