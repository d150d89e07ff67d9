"""Writes labelled images as an Ultralytics YOLO detection data set (images/<split>, labels/<split>, data.yaml).

Renderers of both apps hand it numpy images and pixel boxes; it owns the file layout so training, evaluation
and quantisation calibration all read the same thing.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import yaml


class YoloDatasetWriter:
    """`add(split, image, xyxy, class_id)` one labelled image at a time; `finish()` writes data.yaml."""

    def __init__(self, root: str | Path, class_names: list[str], jpeg_quality: int = 92,
                 min_box_px: float = 2.0) -> None:
        """`min_box_px`: boxes whose shorter side is below this (after clipping) are not labelled; a vehicle
        a few pixels tall at the horizon is no target a detector can learn, only noise in its loss."""
        self.root = Path(root)
        self.min_box_px = min_box_px
        self.class_names = list(class_names)
        self.jpeg_quality = jpeg_quality
        self._counts: dict[str, int] = {}

    def add(self, split: str, image: np.ndarray, xyxy: np.ndarray, class_id: np.ndarray, name: str | None = None) -> Path:
        """Clip boxes to the image, drop degenerate ones and write image + label file. Returns the image path."""
        h, w = image.shape[:2]
        boxes = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4).copy()
        cls = np.asarray(class_id, dtype=np.int64).reshape(-1)
        if len(boxes) != len(cls):
            raise ValueError(f"{len(boxes)} boxes but {len(cls)} class ids")
        if len(cls) and (cls.min() < 0 or cls.max() >= len(self.class_names)):
            raise ValueError(f"class id outside 0..{len(self.class_names) - 1}: {sorted(set(cls.tolist()))}")
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        keep = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) >= self.min_box_px
        boxes, cls = boxes[keep], cls[keep]

        index = self._counts.get(split, 0)
        self._counts[split] = index + 1
        stem = name or f"{index:06d}"
        img_dir, lbl_dir = self.root / "images" / split, self.root / "labels" / split
        img_dir.mkdir(parents=True, exist_ok=True)
        lbl_dir.mkdir(parents=True, exist_ok=True)
        img_path = img_dir / f"{stem}.jpg"
        cv2.imwrite(str(img_path), image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2 / w, (boxes[:, 1] + boxes[:, 3]) / 2 / h
        bw, bh = (boxes[:, 2] - boxes[:, 0]) / w, (boxes[:, 3] - boxes[:, 1]) / h
        lines = [f"{c} {x:.6f} {y:.6f} {a:.6f} {b:.6f}" for c, x, y, a, b in zip(cls, cx, cy, bw, bh)]
        (lbl_dir / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
        return img_path

    def finish(self) -> Path:
        """Write data.yaml (absolute path, so ultralytics finds it from any working directory)."""
        splits = sorted(self._counts) or ["train"]
        data = {"path": str(self.root.resolve()), "names": dict(enumerate(self.class_names))}
        data["train"] = "images/train" if "train" in splits else f"images/{splits[0]}"
        data["val"] = "images/val" if "val" in splits else data["train"]
        if "test" in splits:
            data["test"] = "images/test"
        path = self.root / "data.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)
