"""mAP50 of a detector on a labelled YOLO data set (the project's held-out renders), scored by supervision."""
from __future__ import annotations

from pathlib import Path

import cv2
import yaml
from supervision import DetectionDataset
from supervision.metrics import MeanAveragePrecision

from ..detect import Detector

# As Ultralytics' `val` scores the shipped models (models/README.md): every candidate down to 0.001 counts.
EVAL_CONF, EVAL_IOU = 0.001, 0.6


def load_split(data_yaml: str | Path, split: str = "test") -> DetectionDataset:
    data_yaml = Path(data_yaml)
    spec = yaml.safe_load(data_yaml.read_text())
    root = Path(spec.get("path") or data_yaml.parent)
    images = spec[split]  # YOLO layout: labels/<split> beside images/<split>
    return DetectionDataset.from_yolo(str(root / images), str(root / images.replace("images", "labels", 1)),
                                      str(data_yaml))


def map50(model: str | Path, dataset: DetectionDataset) -> float:
    """mAP at IoU 0.5 over all classes of `dataset`, with the model's own letterbox and NMS."""
    detector = Detector(model, conf=EVAL_CONF, iou=EVAL_IOU)
    metric = MeanAveragePrecision()
    for path, _, targets in dataset:
        (predictions,) = detector([cv2.imread(path)])
        metric.update(predictions, targets)
    return float(metric.compute().map50)
