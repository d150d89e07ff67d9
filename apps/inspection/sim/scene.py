"""Composes placed part sprites onto the belt and collects the frame's ground truth: every visible part box and
defect box, each tagged with the part it belongs to."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classes import PART_CLASS_ID
from .part_renderer import PartSprite

# A box cut by the frame edge is worth a training label while this share of its area is in view; nobody could
# judge a defect from a sliver of it.
MIN_VISIBLE = 0.4


@dataclass(slots=True)
class FrameTruth:
    xyxy: np.ndarray  # (N, 4) float32 frame pixels, clipped to the frame
    class_id: np.ndarray  # (N,) int64, classes.CLASS_NAMES ids
    part_id: np.ndarray  # (N,) int64, the part each box belongs to
    visible: np.ndarray  # (N,) float32, share of the box's area inside the frame

    def labelled(self, min_visible: float = MIN_VISIBLE) -> "FrameTruth":
        """The boxes worth a label: those with at least `min_visible` of their area in view."""
        keep = self.visible >= min_visible
        return FrameTruth(self.xyxy[keep], self.class_id[keep], self.part_id[keep], self.visible[keep])

    def to_dict(self) -> dict:
        return {"xyxy": np.round(self.xyxy, 1).tolist(), "class_id": self.class_id.tolist(),
                "part_id": self.part_id.tolist(), "visible": np.round(self.visible, 3).tolist()}


def _area(xyxy: np.ndarray) -> np.ndarray:
    return (xyxy[:, 2] - xyxy[:, 0]).clip(0) * (xyxy[:, 3] - xyxy[:, 1]).clip(0)


class SceneComposer:
    def compose(self, belt: np.ndarray, placed: list[tuple[PartSprite, int, int]]) -> tuple[np.ndarray, FrameTruth]:
        """belt: float32 HxWx3 background (modified in place); placed: (sprite, x0, y0) top-left frame positions."""
        h, w = belt.shape[:2]
        boxes, classes, owners, shares = [], [], [], []
        for sprite, x0, y0 in placed:
            sh, sw = sprite.alpha.shape
            fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + sw, w), min(y0 + sh, h)
            if fx0 >= fx1 or fy0 >= fy1:
                continue
            sx, sy = slice(fx0 - x0, fx1 - x0), slice(fy0 - y0, fy1 - y0)
            region = belt[fy0:fy1, fx0:fx1]
            region *= 1.0 - sprite.shadow[sy, sx, None]
            a = sprite.alpha[sy, sx, None]
            region[:] = region * (1.0 - a) + sprite.bgr[sy, sx] * a
            offset = np.array([x0, y0, x0, y0], np.float32)
            all_boxes = np.vstack([sprite.part_xyxy[None], sprite.defect_xyxy]) + offset
            all_classes = np.concatenate([[PART_CLASS_ID], sprite.defect_class])
            clipped = all_boxes.copy()
            clipped[:, [0, 2]] = clipped[:, [0, 2]].clip(0, w)
            clipped[:, [1, 3]] = clipped[:, [1, 3]].clip(0, h)
            share = _area(clipped) / np.maximum(_area(all_boxes), 1e-6)
            keep = share > 0
            boxes.append(clipped[keep])
            classes.append(all_classes[keep])
            owners.append(np.full(int(keep.sum()), sprite.spec.part_id, np.int64))
            shares.append(share[keep])
        truth = FrameTruth(np.vstack(boxes).astype(np.float32) if boxes else np.zeros((0, 4), np.float32),
                           np.concatenate(classes).astype(np.int64) if classes else np.zeros(0, np.int64),
                           np.concatenate(owners) if owners else np.zeros(0, np.int64),
                           np.concatenate(shares).astype(np.float32) if shares else np.zeros(0, np.float32))
        return belt, truth
