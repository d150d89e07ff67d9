"""Paints surface defects (scratch, crack, dent, stain) onto a drawn part and returns each one's pixel footprint,
from which its ground-truth box follows after the part is rotated and placed. Sizes are in millimetres so the
defects keep their physical size at any camera resolution."""
from __future__ import annotations

import cv2
import numpy as np

from .surface import PartSurface

SURFACE_DEFECTS: tuple[str, ...] = ("scratch", "crack", "dent", "stain")


class SurfaceDefectPainter:
    def __init__(self, px_per_mm: float) -> None:
        self.px_per_mm = px_per_mm

    def paint(self, surface: PartSurface, defect: str, rng: np.random.Generator) -> np.ndarray:
        """Paint one defect in place; returns its footprint (bool mask, same shape as the surface)."""
        spots = np.argwhere(surface.paintable)
        if not len(spots):
            raise ValueError("part has no paintable surface for a defect: make the part larger")
        cy, cx = spots[int(rng.integers(len(spots)))].astype(np.float32)
        draw = {"scratch": self._scratch, "crack": self._crack, "dent": self._dent, "stain": self._stain}
        if defect not in draw:
            raise ValueError(f"unknown surface defect {defect!r}: choose from {SURFACE_DEFECTS}")
        footprint = draw[defect](surface, float(cx), float(cy), rng)
        footprint &= surface.alpha > 0.5
        surface.paintable &= ~cv2.dilate(footprint.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
        return footprint

    def _stroke(self, shape: tuple[int, int], pts: np.ndarray, width: int) -> np.ndarray:
        m = np.zeros(shape, np.float32)
        cv2.polylines(m, [np.round(pts).astype(np.int32)], False, 1.0, width, cv2.LINE_AA)
        return m

    def _scratch(self, s: PartSurface, cx: float, cy: float, rng: np.random.Generator) -> np.ndarray:
        length = rng.uniform(10.0, 24.0) * self.px_per_mm
        a = rng.uniform(0, np.pi)
        bend = rng.uniform(-0.15, 0.15) * length
        t = np.linspace(-0.5, 0.5, 24)[:, None]
        d, n = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
        pts = np.array([cx, cy]) + t * length * d + (1 - 4 * t ** 2) * bend * n
        line = self._stroke(s.alpha.shape, pts, int(rng.integers(1, 3)))
        if s.material == "metal":
            # A scratch on turned metal catches the light on one flank and is shadowed on the other.
            shadow = np.roll(line, (1, 1), axis=(0, 1))
            s.bgr += (75 * line - 45 * shadow * (1 - line))[..., None]
            line = np.maximum(line, shadow)
        else:
            copper = np.array([70, 130, 205], np.float32) if rng.random() < 0.6 else np.array([175, 200, 185], np.float32)
            s.bgr[:] = s.bgr * (1 - line[..., None]) + copper * line[..., None]
        return line > 0.2

    def _crack(self, s: PartSurface, cx: float, cy: float, rng: np.random.Generator) -> np.ndarray:
        footprint = np.zeros(s.alpha.shape, np.float32)
        length = rng.uniform(12.0, 26.0) * self.px_per_mm
        a = rng.uniform(0, 2 * np.pi)
        branches = [(np.array([cx, cy]), a, length), (np.array([cx, cy]), a + np.pi, length * rng.uniform(0.3, 0.6))]
        while branches:
            p, heading, todo = branches.pop()
            pts = [p]
            step = 2.0
            for _ in range(int(todo / step)):
                heading += rng.normal(0, 0.35)
                pts.append(pts[-1] + step * np.array([np.cos(heading), np.sin(heading)]))
                if len(branches) < 3 and rng.random() < 0.02:
                    branches.append((pts[-1], heading + rng.choice([-1, 1]) * rng.uniform(0.5, 1.0), todo * 0.35))
            footprint = np.maximum(footprint, self._stroke(s.alpha.shape, np.array(pts), int(rng.integers(1, 3))))
        s.bgr *= (1 - 0.8 * footprint)[..., None]
        if s.material == "soldermask":
            halo = cv2.GaussianBlur(footprint, (5, 5), 1.0) - footprint
            s.bgr += (60 * np.clip(halo, 0, 1))[..., None]
        return footprint > 0.2

    def _dent(self, s: PartSurface, cx: float, cy: float, rng: np.random.Generator) -> np.ndarray:
        r = rng.uniform(2.5, 5.0) * self.px_per_mm
        yy, xx = np.mgrid[: s.alpha.shape[0], : s.alpha.shape[1]].astype(np.float32)
        dx, dy = (xx - cx) / r, (yy - cy) / r
        d = np.hypot(dx, dy)
        la = rng.uniform(0, 2 * np.pi)
        inside = np.clip((1.0 - d) * r + 0.5, 0, 1)
        rim = np.clip(1.2 - np.abs(d - 1.0) * r, 0, 1)
        if s.material == "metal":
            # A crater is shadowed on the side facing the light and lit on the far side; its rim is a dark ring.
            shade = 1.0 - 0.6 * (dx * np.cos(la) + dy * np.sin(la)) - 0.3
            s.bgr *= (1 + inside * (shade - 1) - 0.4 * rim)[..., None]
        else:
            # An impact on a board breaks the solder mask: a dark pit ringed by crazed, whitened mask.
            s.bgr *= (1 - 0.7 * inside * np.clip(1.3 - d, 0, 1))[..., None]
            s.bgr += (90 * rim)[..., None]
        return d < 1.0 + 1.0 / r

    def _stain(self, s: PartSurface, cx: float, cy: float, rng: np.random.Generator) -> np.ndarray:
        radius = rng.uniform(4.0, 9.0) * self.px_per_mm
        blob = np.zeros(s.alpha.shape, np.float32)
        for _ in range(int(rng.integers(3, 7))):
            ox, oy = rng.normal(0, radius * 0.35, 2)
            axes = (int(max(2, radius * rng.uniform(0.3, 0.7))), int(max(2, radius * rng.uniform(0.3, 0.7))))
            cv2.ellipse(blob, (int(cx + ox), int(cy + oy)), axes, rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
        blob = cv2.GaussianBlur(blob, (0, 0), max(1.0, radius * 0.15))
        # Rust, oil or a pale residue; whichever is picked, it must stand out from the surface under it.
        under = float(s.bgr[int(cy), int(cx)].mean())
        colours = [(35, 70, 130), (25, 30, 35)] if under > 110 else [(35, 80, 150), (150, 195, 215)]
        colour = np.array(colours[int(rng.integers(len(colours)))], np.float32)
        strength = rng.uniform(0.65, 0.9)
        w = (strength * np.clip(blob, 0, 1))[..., None]
        s.bgr[:] = s.bgr * (1 - w) + colour * w
        return blob > 0.3
