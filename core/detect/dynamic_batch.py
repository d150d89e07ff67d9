"""A copy of a fixed-batch ONNX detector that takes any batch size, so one model call can serve several cameras.

Ultralytics' static exports bake batch 1 into the input, the output and the target shapes of the detect head's
Reshape nodes. Setting those leading 1s to 0 (ONNX: "copy this dimension from the input") and naming the batch
dimension of input and output is enough for YOLOv8/v11 heads; the copy is then checked against the original,
image by image, before it is written, so a graph this rewrite does not fit fails loudly instead of silently.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

from .detector import DetectorError, session_options


def _reshape_targets(graph: onnx.GraphProto) -> list[onnx.TensorProto]:
    """The constant tensors that Reshape nodes take their target shape from."""
    shape_inputs = {node.input[1] for node in graph.node if node.op_type == "Reshape"}
    tensors = [t for t in graph.initializer if t.name in shape_inputs]
    tensors += [node.attribute[0].t for node in graph.node
                if node.op_type == "Constant" and node.output[0] in shape_inputs and node.attribute[0].name == "value"]
    return tensors


def _allow_zero_copies(graph: onnx.GraphProto) -> bool:
    return not any(a.name == "allowzero" and a.i == 1 for n in graph.node if n.op_type == "Reshape" for a in n.attribute)


def make_batch_dynamic(model: str | Path, out: str | Path, check_batch: int = 2) -> Path:
    """Write a dynamic-batch copy of `model` to `out` and return `out`; raises DetectorError when the copy does
    not reproduce the original per image."""
    model, out = Path(model), Path(out)
    proto = onnx.load(str(model))
    graph = proto.graph
    if not _allow_zero_copies(graph):
        raise DetectorError(f"{model}: a Reshape has allowzero=1, so its batch cannot be copied from its input")
    for tensor in _reshape_targets(graph):
        shape = numpy_helper.to_array(tensor)
        if shape.ndim == 1 and shape.size and shape[0] == 1:
            shape = shape.copy()
            shape[0] = 0
            tensor.CopyFrom(numpy_helper.from_array(shape, tensor.name))
    for value in (*graph.input, *graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    del graph.value_info[:]  # intermediate shapes recorded at export carry the old batch; ONNX Runtime re-infers
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(out))
    _check_same_outputs(model, out, check_batch)
    return out


def _check_same_outputs(original: Path, dynamic: Path, batch: int) -> None:
    fixed = ort.InferenceSession(str(original), session_options(), providers=["CPUExecutionProvider"])
    any_batch = ort.InferenceSession(str(dynamic), session_options(), providers=["CPUExecutionProvider"])
    inp = fixed.get_inputs()[0]
    images = np.random.default_rng(0).random((batch, *inp.shape[1:]), dtype=np.float32)
    together = any_batch.run(None, {inp.name: images})[0]
    for i in range(batch):
        alone = fixed.run(None, {inp.name: images[i:i + 1]})[0]
        if not np.allclose(together[i:i + 1], alone, rtol=1e-3, atol=1e-3):
            dynamic.unlink()
            raise DetectorError(f"{original}: its dynamic-batch copy does not reproduce image {i} of a batch of "
                                f"{batch}; export the model with dynamic=True instead")
