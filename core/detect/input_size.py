"""A copy of a static Ultralytics YOLOv8/v11 ONNX detector at another input size: a smaller one, so an overloaded box
can run the model on fewer pixels (a 320x320 input is a quarter of a 640x640 one's convolution work), or one shaped
like the camera's frames (`fitted_input_hw`), so that no work goes on letterbox padding: a 640x480 frame fills a
480x640 input, where a 640x640 one spends a quarter of its work on grey rows.

The convolutions do not care about the input size; what a static export bakes in is the detect head's anchor
grid: the anchor centres (1, 2, A), the stride of each anchor (1, A) and the anchor count A in the DFL's Reshape
targets, A = sum over strides 8/16/32 of (H/s)*(W/s). YOLO11 adds an attention block on the stride-32 map whose
Reshape targets hold that map's height and width ([1, C, H/32, W/32]) or its cell count ([1, heads, C, H/32 *
W/32]). The copy regenerates all of those for the new size. Every other constant that mentions A must be one of
them, and the anchor and stride tensors must equal the grid generated for the model's own size, so a graph laid
out differently fails loudly instead of decoding boxes against the wrong anchors.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from .detector import DetectorError

STRIDES = (8, 16, 32)


def anchor_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Anchor centres (1, 2, A) in cells, x fastest within each stride level, and the stride of each (1, A), as
    Ultralytics' `make_anchors` lays them out."""
    points, strides = [], []
    for s in STRIDES:
        ys, xs = np.mgrid[0:height // s, 0:width // s]
        points.append(np.stack([xs.ravel(), ys.ravel()]) + 0.5)
        strides.append(np.full(xs.size, s))
    return (np.concatenate(points, axis=1)[None].astype(np.float32),
            np.concatenate(strides)[None].astype(np.float32))


def _constants(graph: onnx.GraphProto) -> list[tuple[str, onnx.TensorProto]]:
    """(name the graph uses, tensor) of every initializer and Constant node."""
    return [*((t.name, t) for t in graph.initializer),
            *((n.output[0], a.t) for n in graph.node if n.op_type == "Constant" for a in n.attribute
              if a.name == "value")]


def _grid_shape(value: np.ndarray, old_hw: tuple[int, int], new_hw: tuple[int, int]) -> np.ndarray:
    """A Reshape target with a feature map's size moved to the new input: a trailing [H/s, W/s] pair or a trailing
    cell count (H/s)*(W/s), for the first stride that matches."""
    for s in STRIDES:
        (oh, ow), (nh, nw) = (old_hw[0] // s, old_hw[1] // s), (new_hw[0] // s, new_hw[1] // s)
        if value.size >= 2 and value[-2:].tolist() == [oh, ow]:
            return np.concatenate([value[:-2], [nh, nw]])
        if value.size >= 1 and value[-1] == oh * ow:
            return np.concatenate([value[:-1], [nh * nw]])
    return value


def _rewrite(proto: onnx.ModelProto, old_hw: tuple[int, int], new_hw: tuple[int, int]) -> onnx.ModelProto:
    """`proto` with its anchor grid moved from `old_hw` to `new_hw` (in place); raises DetectorError on a tensor
    that depends on the anchor count in a way this rewrite does not know."""
    old_points, old_strides = anchor_grid(*old_hw)
    new_points, new_strides = anchor_grid(*new_hw)
    old_a, new_a = old_points.shape[2], new_points.shape[2]
    reshape_targets = {n.input[1] for n in proto.graph.node if n.op_type == "Reshape"}
    found = set()
    for name, tensor in _constants(proto.graph):
        value = numpy_helper.to_array(tensor)
        if name in reshape_targets and value.ndim == 1 and old_a not in value:  # e.g. YOLO11's [1, 128, 20, 20]
            moved = _grid_shape(value, old_hw, new_hw)
            if not np.array_equal(moved, value):
                tensor.CopyFrom(numpy_helper.from_array(moved.astype(value.dtype), tensor.name))
            continue
        if old_a not in value.shape and not (value.ndim == 1 and old_a in value):
            continue
        if value.shape == old_points.shape and np.array_equal(value, old_points):
            value, kind = new_points, "anchors"
        elif value.shape == old_strides.shape and np.array_equal(value, old_strides):
            value, kind = new_strides, "strides"
        elif value.ndim == 1 and value.dtype == np.int64:  # a Reshape target such as [1, 4, 16, A]
            value, kind = np.where(value == old_a, new_a, value), "shape"
        else:
            raise DetectorError(f"a constant {tensor.name} of shape {list(value.shape)} depends on the anchor "
                                f"count in an unknown way; export the model at the input size you need instead")
        tensor.CopyFrom(numpy_helper.from_array(value.astype(numpy_helper.to_array(tensor).dtype), tensor.name))
        found.add(kind)
    if not {"anchors", "strides"} <= found:
        raise DetectorError("no anchor grid found: not an Ultralytics YOLOv8/v11 static export; export the model at "
                            "the input size you need instead")
    graph = proto.graph
    dims = graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value, dims[3].dim_value = new_hw
    graph.output[0].type.tensor_type.shape.dim[2].dim_value = new_a
    del graph.value_info[:]  # shapes recorded at export are for the old size; ONNX Runtime re-infers them
    for prop in proto.metadata_props:
        if prop.key == "imgsz":
            prop.value = str(list(new_hw))
    return proto


def fitted_input_hw(input_hw: tuple[int, int], frame_wh: tuple[int, int]) -> tuple[int, int]:
    """The input (height, width) that holds a `frame_wh` frame at the scale a square `input_hw` input letterboxes
    it to, with the padding cut down to what rounding up to the stride leaves: a 640x480 frame in 640x640 gives
    (480, 640), a 1280x720 one (384, 640). A non-square input is returned as it is."""
    (side, other), (width, height) = input_hw, frame_wh
    if side != other or width <= 0 or height <= 0:
        return input_hw
    stride = max(STRIDES)
    scaled = -(-side * min(width, height) // max(width, height))  # the frame's short side at the input's scale
    short = min(side, -(-scaled // stride) * stride)
    return (short, side) if width >= height else (side, short)


def make_input_size_copy(model: str | Path, out: str | Path, size: int | tuple[int, int]) -> Path:
    """Write a copy of `model` with a `size` x `size` (or (height, width)) input to `out` and return `out`."""
    model, out = Path(model), Path(out)
    new_hw = (size, size) if isinstance(size, int) else tuple(size)
    if any(side % max(STRIDES) or side <= 0 for side in new_hw):
        raise DetectorError(f"input size {size} is not a positive multiple of {max(STRIDES)}")
    proto = onnx.load(str(model))
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    old_hw = (dims[2].dim_value, dims[3].dim_value)
    if not all(old_hw):
        raise DetectorError(f"{model} already has a dynamic input size; use it as it is")
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(_rewrite(proto, old_hw, new_hw), str(out))
    return out
