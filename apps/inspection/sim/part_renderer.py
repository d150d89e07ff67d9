"""Turns a PartSpec into a PartSprite: the part drawn, its defects painted, rotated to its angle on the belt, with
a soft drop shadow and the ground-truth boxes of the part and each defect in sprite pixels."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..classes import CLASS_ID
from .defects import SurfaceDefectPainter
from .disc import DiscRenderer
from .parts import PartSpec
from .pcb import CircuitBoardRenderer
from .surface import PartSurface

_SHADOW_PAD = 8


@dataclass(slots=True)
class PartSprite:
    spec: PartSpec
    bgr: np.ndarray  # float32 hxwx3
    alpha: np.ndarray  # float32 hxw
    shadow: np.ndarray  # float32 hxw, 0..1 darkening of whatever lies under the sprite
    part_xyxy: np.ndarray  # (4,) box of the part in sprite pixels
    defect_xyxy: np.ndarray  # (K, 4) defect boxes in sprite pixels
    defect_class: np.ndarray  # (K,) class ids (see classes.CLASS_NAMES)


class PartRenderer:
    def __init__(self, px_per_mm: float) -> None:
        if px_per_mm <= 0:
            raise ValueError(f"px_per_mm={px_per_mm} must be positive: it is the camera scale on the belt")
        self.px_per_mm = px_per_mm
        self.painter = SurfaceDefectPainter(px_per_mm)
        self.disc = DiscRenderer()
        self.pcb = CircuitBoardRenderer()

    def render(self, spec: PartSpec) -> PartSprite:
        rng = np.random.default_rng(spec.seed)
        omit = "missing_feature" in spec.defects
        if spec.kind == "disc":
            surface = self.disc.render(spec.size_mm[0] * self.px_per_mm, rng, omit)
        elif spec.kind == "pcb":
            surface = self.pcb.render(spec.size_mm[0] * self.px_per_mm, spec.size_mm[1] * self.px_per_mm, rng, omit)
        else:
            raise ValueError(f"part {spec.part_id} has unknown kind {spec.kind!r}: use 'disc' or 'pcb'")
        footprints: list[tuple[str, np.ndarray]] = []
        for defect in spec.defects:
            if defect == "missing_feature":
                if surface.missing is None:
                    raise ValueError(f"part {spec.part_id} ({spec.kind}) has no feature that could be missing")
                footprints.append((defect, surface.missing))
            else:
                footprints.append((defect, self.painter.paint(surface, defect, rng)))
        return self._rotate(spec, surface, footprints)

    def _rotate(self, spec: PartSpec, s: PartSurface, footprints: list[tuple[str, np.ndarray]]) -> PartSprite:
        h, w = s.alpha.shape
        side = int(np.ceil(np.hypot(h, w))) + 2 * _SHADOW_PAD
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), spec.angle_deg, 1.0)
        m[:, 2] += (side - w) / 2, (side - h) / 2
        bgr = cv2.warpAffine(s.bgr, m, (side, side), flags=cv2.INTER_LINEAR, borderValue=0)
        alpha = cv2.warpAffine(s.alpha, m, (side, side), flags=cv2.INTER_LINEAR, borderValue=0)
        ys, xs = np.nonzero(alpha > 0.05)
        x0, y0 = max(xs.min() - _SHADOW_PAD, 0), max(ys.min() - _SHADOW_PAD, 0)
        x1, y1 = min(xs.max() + _SHADOW_PAD + 1, side), min(ys.max() + _SHADOW_PAD + 1, side)
        bgr, alpha = bgr[y0:y1, x0:x1], alpha[y0:y1, x0:x1]
        # A solid outline (holes filled) casts the shadow: light comes from the upper left.
        contours, _ = cv2.findContours((alpha > 0.05).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        solid = np.zeros(alpha.shape, np.float32)
        cv2.drawContours(solid, contours, -1, 1.0, -1, offset=(3, 3))
        shadow = 0.45 * cv2.GaussianBlur(solid, (0, 0), 2.5)

        part = np.array([xs.min() - x0, ys.min() - y0, xs.max() + 1 - x0, ys.max() + 1 - y0], np.float32)
        boxes, classes = [], []
        for defect, mask in footprints:
            py, px = np.nonzero(mask)
            if not len(px):
                continue
            # Pixel corners, not centres, so a one-pixel-wide scratch still gets a box that covers it.
            corners = np.concatenate([np.stack([px + dx, py + dy], 1) for dx in (0, 1) for dy in (0, 1)]).astype(np.float32)
            # warpAffine maps pixel centres (integer coordinates); boxes use pixel spans [i, i + 1).
            q = (corners - 0.5) @ m[:, :2].T + m[:, 2] + 0.5 - (x0, y0)
            boxes.append([q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()])
            classes.append(CLASS_ID[defect])
        return PartSprite(spec, bgr, alpha, shadow, part, np.array(boxes, np.float32).reshape(-1, 4), np.array(classes, np.int64))
