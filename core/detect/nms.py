"""Vectorised per-class non-maximum suppression.

Boxes of different classes never suppress each other: each class is shifted to its own region of the plane
(the class-offset trick), so one greedy pass over all boxes does per-class NMS. Each pass step computes the
IoU of the best remaining box against all others at once.
"""
from __future__ import annotations

import numpy as np


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box against an (N, 4) array of xyxy boxes."""
    ix1 = np.maximum(box[0], boxes[:, 0])
    iy1 = np.maximum(box[1], boxes[:, 1])
    ix2 = np.minimum(box[2], boxes[:, 2])
    iy2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray | None, iou_threshold: float,
        max_det: int = 300) -> np.ndarray:
    """Indices of the boxes kept, best score first. A box is dropped when its IoU with a kept box of the same
    class is above `iou_threshold`."""
    if len(boxes) == 0:
        return np.empty(0, dtype=np.int64)
    boxes = boxes.astype(np.float32, copy=False)
    if class_ids is not None and len(np.unique(class_ids)) > 1:
        offset = class_ids.astype(np.float32)[:, None] * (float(boxes.max()) + 1.0)
        boxes = boxes + offset
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size and len(keep) < max_det:
        best = order[0]
        keep.append(int(best))
        if order.size == 1:
            break
        rest = order[1:]
        order = rest[box_iou(boxes[best], boxes[rest]) <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)
