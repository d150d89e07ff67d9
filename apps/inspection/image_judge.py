"""ImageJudge: the verdict for a still image that shows one part (or one patch of surface), e.g. a folder of real
NEU-DET steel images. Every class of the model other than 'part' is a defect class; the image fails when any is
detected at or above its threshold, and the verdict names the most confident one."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import supervision as sv

from .classes import PART_CLASS


@dataclass(frozen=True, slots=True)
class FoundDefect:
    defect_class: str
    confidence: float
    xyxy: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class ImageVerdict:
    image: str
    verdict: Literal["pass", "reject"]
    worst_class: str | None
    worst_confidence: float
    defects: tuple[FoundDefect, ...] = field(default=())

    def to_dict(self) -> dict:
        return {"image": self.image, "verdict": self.verdict, "worst_class": self.worst_class,
                "worst_confidence": round(self.worst_confidence, 4),
                "defects": [{"class": d.defect_class, "confidence": round(d.confidence, 4),
                             "xyxy": [round(v, 1) for v in d.xyxy]} for d in self.defects]}


class ImageJudge:
    def __init__(self, class_names: Sequence[str], threshold: float = 0.35,
                 per_class: Mapping[str, float] | None = None) -> None:
        unknown = set(per_class or {}) - set(class_names)
        if unknown:
            raise ValueError(f"thresholds for {sorted(unknown)} but the model's classes are {list(class_names)}")
        self.names = list(class_names)
        self.thresholds = np.array([(per_class or {}).get(n, threshold) for n in self.names], np.float32)
        self.is_defect = np.array([n != PART_CLASS for n in self.names])

    def judge(self, image: str, detections: sv.Detections) -> ImageVerdict:
        if len(detections):
            cls, conf = detections.class_id, detections.confidence
            keep = self.is_defect[cls] & (conf >= self.thresholds[cls])
        else:
            keep = np.zeros(0, bool)
        order = np.argsort(-detections.confidence[keep]) if keep.any() else np.zeros(0, int)
        found = tuple(FoundDefect(self.names[int(detections.class_id[keep][i])], float(detections.confidence[keep][i]),
                                  tuple(float(v) for v in detections.xyxy[keep][i])) for i in order)
        worst = found[0] if found else None
        return ImageVerdict(image, "reject" if found else "pass", worst.defect_class if worst else None,
                            worst.confidence if worst else 0.0, found)
