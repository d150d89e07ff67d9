"""Builds the small ONNX models in this folder, one per output layout EdgeSight reads, with the `onnx` package.

Each graph is out = BOXES + SCORES * min(100 * mean(image), 1) per image, so any non-black image yields the
planted detections, a black one none, and a batch of mixed images tells whether batching keeps images apart. The planted boxes are
in model-input pixels (320x320). Rerun: python tests/models/make_layout_models.py
"""
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).parent
SIZE = 320
NAMES = {0: "car", 1: "bus", 2: "truck"}
GRID = sum((SIZE // s) ** 2 for s in (8, 16, 32))  # 2100 cells at strides 8/16/32
# (cx, cy, w, h, class, score): two real objects and a lower-scored duplicate of the first that NMS must drop.
PLANTED = [(100.0, 120.0, 60.0, 40.0, 0, 0.9), (220.0, 200.0, 80.0, 60.0, 2, 0.8), (104.0, 122.0, 60.0, 42.0, 0, 0.6)]


def build(name: str, boxes: np.ndarray, scores: np.ndarray, metadata: dict[str, str], dynamic: bool = False,
          out_shape: list | None = None) -> None:
    batch = "batch" if dynamic else 1
    image = helper.make_tensor_value_info("images", TensorProto.FLOAT, [batch, 3, SIZE, SIZE])
    output = helper.make_tensor_value_info("output0", TensorProto.FLOAT, out_shape or [batch, *boxes.shape])
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean4"], axes=[1, 2, 3], keepdims=1),  # [N,1,1,1]
        helper.make_node("Squeeze", ["mean4", "axis3"], ["mean"]),  # [N,1,1]
        helper.make_node("Mul", ["mean", "hundred"], ["mean100"]),
        helper.make_node("Min", ["mean100", "one"], ["gate"]),
        helper.make_node("Mul", ["scores", "gate"], ["scaled"]),
        helper.make_node("Add", ["boxes", "scaled"], ["output0"]),
    ]
    inits = [numpy_helper.from_array(boxes[None].astype(np.float32), "boxes"),
             numpy_helper.from_array(scores[None].astype(np.float32), "scores"),
             numpy_helper.from_array(np.array([3], dtype=np.int64), "axis3"),
             numpy_helper.from_array(np.array(100.0, dtype=np.float32), "hundred"),
             numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one")]
    graph = helper.make_graph(nodes, name, [image], [output], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in metadata.items():
        prop = model.metadata_props.add()
        prop.key, prop.value = k, v
    onnx.checker.check_model(model)
    onnx.save(model, HERE / f"{name}.onnx")


def ultralytics_meta(**extra: str) -> dict[str, str]:
    meta = {"author": "Ultralytics", "task": "detect", "stride": "32", "batch": "1", "imgsz": f"[{SIZE}, {SIZE}]",
            "names": str(NAMES), "end2end": "False"}
    meta.update(extra)
    return meta


def yolov8() -> None:
    anchors = 2100
    boxes, scores = np.zeros((4 + len(NAMES), anchors)), np.zeros((4 + len(NAMES), anchors))
    for i, (cx, cy, w, h, c, s) in enumerate(PLANTED):
        boxes[:4, 10 + i * 7] = cx, cy, w, h
        scores[4 + c, 10 + i * 7] = s
    build("yolov8_layout", boxes, scores, ultralytics_meta())
    build("yolov8_layout_dynamic", boxes, scores, ultralytics_meta(batch="-1"), dynamic=True)


def yolov5() -> None:
    anchors = 3 * GRID
    boxes, scores = np.zeros((anchors, 5 + len(NAMES))), np.zeros((anchors, 5 + len(NAMES)))
    for i, (cx, cy, w, h, c, s) in enumerate(PLANTED):
        row = 50 + i * 13
        boxes[row, :4] = cx, cy, w, h
        scores[row, 4] = 1.0
        scores[row, 5 + c] = s
    build("yolov5_layout", boxes, scores, ultralytics_meta())


def end2end() -> None:
    boxes, scores = np.zeros((300, 6)), np.zeros((300, 6))
    for i, (cx, cy, w, h, c, s) in enumerate(PLANTED[:2]):  # NMS already done in the graph
        boxes[i, :4] = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
        boxes[i, 5] = c
        scores[i, 4] = s
    build("end2end_layout", boxes, scores, ultralytics_meta(end2end="True"))


def yolox() -> None:
    """Raw YOLOX grid outputs: (tx, ty) offsets in cells, (tw, th) log-sizes in strides; no metadata, as
    YOLOX's own exporter writes none."""
    boxes, scores = np.zeros((GRID, 5 + len(NAMES))), np.zeros((GRID, 5 + len(NAMES)))
    for (cx, cy, w, h, c, s), stride in zip(PLANTED, (16, 32, 8)):  # the duplicate sits on another level
        gx, gy = int(cx // stride), int(cy // stride)
        level_start = sum((SIZE // s) ** 2 for s in (8, 16, 32) if s < stride)
        row = level_start + gy * (SIZE // stride) + gx
        boxes[row, :4] = cx / stride - gx, cy / stride - gy, np.log(w / stride), np.log(h / stride)
        scores[row, 4] = 1.0
        scores[row, 5 + c] = s
    build("yolox_layout", boxes, scores, {})


def classifier() -> None:
    """Not a detector: an Ultralytics classification export ([N, classes])."""
    build("classifier", np.zeros(5), np.ones(5), ultralytics_meta(task="classify"), out_shape=[1, 5])


if __name__ == "__main__":
    yolov8(), yolov5(), end2end(), yolox(), classifier()
    print("wrote", sorted(p.name for p in HERE.glob("*.onnx")))
