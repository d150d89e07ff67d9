"""A second look at each image, mirrored left to right, fused with the first.

The model is not mirror-symmetric: a faint defect can score low in one view and higher in the other, and texture
that fools one view need not fool both. Fusing the two views (test-time augmentation) told defective parts from
good ones a little better than one view: on the simulated inspection line, with the same verdict thresholds, fewer
defective parts got through and fewer good ones were rejected (README, Inspection). It costs a second model run
per image.

Fusion works per class, as weighted box fusion does: boxes of the two views that overlap (IoU >= `iou`) are one
object, placed at their mean box, scored by the mean of the views' confidences. A view that did not report the
object adds 0, so what only one view saw keeps half its confidence."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import supervision as sv


def unmirror(detections: sv.Detections, width: float) -> sv.Detections:
    """Boxes found on the mirror image of a `width`-pixel-wide image, in the image's own pixels."""
    xyxy = detections.xyxy.copy()
    xyxy[:, [0, 2]] = width - detections.xyxy[:, [2, 0]]
    return sv.Detections(xyxy=xyxy, confidence=detections.confidence, class_id=detections.class_id,
                         data=dict(detections.data))


def fuse_views(views: Sequence[sv.Detections], iou: float = 0.3) -> sv.Detections:
    """One set of detections from several views of one image, all in the image's pixels. Per class, the most
    confident box not yet taken gathers the most confident overlapping box of each other view."""
    merged = sv.Detections.merge(list(views))
    if len(merged) == 0:
        return merged
    view_of = np.concatenate([np.full(len(v), k) for k, v in enumerate(views)])
    boxes, scores, classes, names = [], [], [], []
    for cls in np.unique(merged.class_id):
        idx = np.flatnonzero(merged.class_id == cls)
        idx = idx[np.argsort(-merged.confidence[idx], kind="stable")]
        overlap = sv.box_iou_batch(merged.xyxy[idx], merged.xyxy[idx]) >= iou
        taken = np.zeros(len(idx), bool)
        for i in range(len(idx)):
            if taken[i]:
                continue
            members, seen = [i], {view_of[idx[i]]}
            for j in np.flatnonzero(overlap[i] & ~taken):
                if j > i and view_of[idx[j]] not in seen:
                    members.append(j)
                    seen.add(view_of[idx[j]])
            taken[members] = True
            rows = idx[members]
            boxes.append(merged.xyxy[rows].mean(axis=0))
            scores.append(merged.confidence[rows].sum() / len(views))
            classes.append(cls)
            if "class_name" in merged.data:
                names.append(merged.data["class_name"][rows[0]])
    data = {"class_name": np.array(names, dtype=str)} if names else {}
    return sv.Detections(xyxy=np.array(boxes, np.float32), confidence=np.array(scores, np.float32),
                         class_id=np.array(classes, int), data=data)
