"""Pascal VOC (images + XML boxes) -> a YOLO data set with a fixed, reproducible split.

For real labelled sets a user brings (NEU-DET steel surfaces, for one). The split depends only on the file names
and the seed, so the held-out images are the same on every machine.

    python -m edgesight.core.training.voc --source DIR --out DIR [--val 0.15 --test 0.2 --seed 0]

DIR holds images/ and annotations/ with matching stems (the NEU-DET layout).
"""
from __future__ import annotations

import argparse
import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np

from .dataset import YoloDatasetWriter

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def read_voc(xml_path: Path) -> list[tuple[str, tuple[float, float, float, float]]]:
    root = ET.parse(xml_path).getroot()
    objects = []
    for obj in root.iter("object"):
        box = obj.find("bndbox")
        if box is None:
            raise ValueError(f"{xml_path}: <object> without <bndbox>")
        coords = tuple(float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
        objects.append((obj.findtext("name").strip(), coords))
    return objects


def split_of(stem: str, seed: int, val: float, test: float) -> str:
    """Stable split from a hash of the name: adding files never moves existing ones to another split."""
    u = int(hashlib.sha256(f"{seed}:{stem}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if u < test else "val" if u < test + val else "train"


def convert(source: Path, out: Path, val: float = 0.15, test: float = 0.2, seed: int = 0) -> Path:
    images_dir, ann_dir = source / "images", source / "annotations"
    if not images_dir.is_dir() or not ann_dir.is_dir():
        raise FileNotFoundError(f"{source}: expected images/ and annotations/ folders (Pascal VOC layout)")
    pairs = []
    for xml in sorted(ann_dir.glob("*.xml")):
        image = next((images_dir / f"{xml.stem}{s}" for s in IMAGE_SUFFIXES if (images_dir / f"{xml.stem}{s}").is_file()),
                     None)
        if image is not None:
            pairs.append((image, read_voc(xml)))
    if not pairs:
        raise FileNotFoundError(f"{source}: no image has a matching annotation file")
    names = sorted({name for _, objects in pairs for name, _ in objects})
    writer = YoloDatasetWriter(out, names)
    for image_path, objects in pairs:
        image = cv2.imread(str(image_path))
        if image is None:
            raise ValueError(f"{image_path}: not a readable image")
        xyxy = np.array([box for _, box in objects], dtype=np.float64).reshape(-1, 4)
        cls = np.array([names.index(name) for name, _ in objects], dtype=np.int64)
        writer.add(split_of(image_path.stem, seed, val, test), image, xyxy, cls, name=image_path.stem)
    return writer.finish()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--val", type=float, default=0.15)
    parser.add_argument("--test", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(convert(args.source, args.out, args.val, args.test, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
