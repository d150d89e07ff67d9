"""Output layouts of the detection model families EdgeSight loads, and how to tell them apart.

A layout knows the input convention its family was trained with (colour order, scaling, where the letterbox
sits) and turns the raw output tensor into candidate boxes in input-pixel coordinates. Adding a model family
means adding a layout here; nothing else changes.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

YOLOX_STRIDES = (8, 16, 32)


@dataclass(frozen=True)
class InputConvention:
    rgb: bool  # True: feed RGB; False: feed BGR as OpenCV decodes it
    scale: float  # multiply 0-255 pixel values by this
    centered: bool  # letterbox centred (Ultralytics) or at the top-left corner (YOLOX)
    pad_value: int = 114


ULTRALYTICS_INPUT = InputConvention(rgb=True, scale=1 / 255.0, centered=True)
YOLOX_INPUT = InputConvention(rgb=False, scale=1.0, centered=False)

# One image's candidates: xyxy boxes (K, 4) in model-input pixels, scores (K,), class ids (K,).
Candidates = tuple[np.ndarray, np.ndarray, np.ndarray]


def _cxcywh_to_xyxy(b: np.ndarray) -> np.ndarray:
    half = b[:, 2:4] / 2
    return np.concatenate([b[:, 0:2] - half, b[:, 0:2] + half], axis=1)


@dataclass(frozen=True)
class OutputLayout(ABC):
    name: str
    description: str
    convention: InputConvention
    needs_nms: bool

    def decode(self, output: np.ndarray, conf: float, input_hw: tuple[int, int]) -> list[Candidates]:
        return [self._decode_one(out, conf, input_hw) for out in output]

    @abstractmethod
    def _decode_one(self, out: np.ndarray, conf: float, input_hw: tuple[int, int]) -> Candidates: ...


class AnchorFreeLayout(OutputLayout):
    """Ultralytics YOLOv8 / YOLO11 / YOLO12 detect head: [N, 4+nc, A], rows cx, cy, w, h, class scores."""

    def _decode_one(self, out, conf, input_hw):
        cls_scores = out[4:]
        class_ids = cls_scores.argmax(axis=0)
        scores = np.take_along_axis(cls_scores, class_ids[None], axis=0)[0]
        keep = np.flatnonzero(scores > conf)
        boxes = _cxcywh_to_xyxy(out[:4, keep].T)
        return boxes, scores[keep], class_ids[keep]


class AnchorBasedLayout(OutputLayout):
    """Ultralytics YOLOv5 (and YOLOX after decoding): [N, A, 5+nc], columns cx, cy, w, h, objectness, classes."""

    def _decode_one(self, out, conf, input_hw):
        obj = out[:, 4]
        rows = np.flatnonzero(obj > conf)  # score = obj * cls <= obj: cheap pre-filter
        cand = out[rows]
        class_ids = cand[:, 5:].argmax(axis=1)
        scores = cand[:, 4] * cand[np.arange(len(cand)), 5 + class_ids]
        keep = scores > conf
        return _cxcywh_to_xyxy(self._boxes(cand[keep], rows[keep], input_hw)), scores[keep], class_ids[keep]

    def _boxes(self, cand: np.ndarray, rows: np.ndarray, input_hw: tuple[int, int]) -> np.ndarray:
        return cand[:, :4]


class YoloxLayout(AnchorBasedLayout):
    """YOLOX raw head: [N, A, 5+nc] with (tx, ty, tw, th) per grid cell over strides 8/16/32 (row-major, stride 8
    first); objectness and class scores already sigmoided."""

    def _boxes(self, cand, rows, input_hw):
        grid, stride = _yolox_grid(input_hw)
        g, s = grid[rows], stride[rows][:, None]
        return np.concatenate([(cand[:, 0:2] + g) * s, np.exp(cand[:, 2:4]) * s], axis=1)


class EndToEndLayout(OutputLayout):
    """NMS-free or NMS-in-graph exports (YOLOv10, YOLO26, `export(nms=True)`): [N, K, 6] = x1, y1, x2, y2, score,
    class."""

    def _decode_one(self, out, conf, input_hw):
        keep = out[:, 4] > conf
        return out[keep, :4], out[keep, 4], out[keep, 5].astype(np.int64)


_grid_cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _yolox_grid(input_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    if input_hw not in _grid_cache:
        grids, strides = [], []
        for s in YOLOX_STRIDES:
            gh, gw = input_hw[0] // s, input_hw[1] // s
            ys, xs = np.mgrid[0:gh, 0:gw]
            grids.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
            strides.append(np.full(gh * gw, s))
        _grid_cache[input_hw] = (np.concatenate(grids).astype(np.float32), np.concatenate(strides).astype(np.float32))
    return _grid_cache[input_hw]


YOLOV8 = AnchorFreeLayout("yolov8", "Ultralytics v8/v11 [N, 4+nc, A]", ULTRALYTICS_INPUT, needs_nms=True)
YOLOV5 = AnchorBasedLayout("yolov5", "Ultralytics v5 [N, A, 5+nc]", ULTRALYTICS_INPUT, needs_nms=True)
END2END = EndToEndLayout("end2end", "NMS-free / NMS-in-graph [N, K, 6]", ULTRALYTICS_INPUT, needs_nms=False)
YOLOX = YoloxLayout("yolox", "YOLOX raw grid [N, A, 5+nc]", YOLOX_INPUT, needs_nms=True)
LAYOUTS = {layout.name: layout for layout in (YOLOV8, YOLOV5, END2END, YOLOX)}


def _grid_cells(input_hw: tuple[int, int]) -> int:
    return sum((input_hw[0] // s) * (input_hw[1] // s) for s in YOLOX_STRIDES)


def infer_layout(output_shape: tuple[int, ...], input_hw: tuple[int, int], metadata: dict) -> OutputLayout:
    """Tell the layout from the output shape and the exporter's metadata. Raises ValueError with the shape when
    the model is not a detector EdgeSight can read (classification, segmentation, pose, ...)."""
    task = metadata.get("task")
    if task is not None and task != "detect":
        raise ValueError(f"it is a '{task}' model, not a detection model")
    if len(output_shape) != 3:
        raise ValueError(f"output shape {list(output_shape)} is not a detection output ([N, 4+nc, A], [N, A, 5+nc] "
                         f"or [N, K, 6])")
    _, d1, d2 = output_shape
    if metadata.get("end2end") is True or (metadata.get("args", {}).get("nms") is True):
        return END2END
    if isinstance(d1, int) and isinstance(d2, int):
        if d2 == 6 and d1 <= 1000 and d1 not in (_grid_cells(input_hw), 3 * _grid_cells(input_hw)):
            return END2END
        if d1 < d2 and d1 >= 5:
            return YOLOV8
        if d2 >= 6 and d1 == _grid_cells(input_hw) and "stride" not in metadata:
            return YOLOX
        if d2 >= 6 and d1 > d2:
            return YOLOV5
    raise ValueError(f"output shape {list(output_shape)} matches no known detection layout "
                     f"({', '.join(l.description for l in LAYOUTS.values())}); pass layout= to choose one")
