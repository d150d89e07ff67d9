"""Static INT8 (QDQ) quantization of a detector, calibrated on frames of the user's own video.

Static QDQ, not dynamic: with calibrated activation ranges ONNX Runtime runs the convolutions as 8-bit integer
kernels (VNNI on CPUs that have it), while dynamic quantization recomputes ranges every call and is often slower
than FP32 on CPUs. The box decoding at the end of the graph (DFL softmax and integral, box arithmetic, the final
concat of pixel boxes with 0-1 class scores) stays in float: one 8-bit scale for a tensor holding both 600-pixel
coordinates and scores would erase the scores.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quant_pre_process, quantize_static

from .calibration import FrameCalibration
from .detector import Detector

# Ops that only move or reshape data: walking back from a Conv through them still finds what feeds the Conv.
_PASS_THROUGH = {"Transpose", "Reshape"}


def _producers(graph: onnx.GraphProto) -> dict[str, onnx.NodeProto]:
    return {out: node for node in graph.node for out in node.output}


def _integrates_a_softmax(conv: onnx.NodeProto, producers: dict[str, onnx.NodeProto]) -> bool:
    """The DFL integral: a fixed Conv over a softmax (through transposes/reshapes), part of decoding."""
    node = producers.get(conv.input[0])
    while node is not None and node.op_type in _PASS_THROUGH:
        node = producers.get(node.input[0])
    return node is not None and node.op_type == "Softmax"


def decoding_nodes(graph: onnx.GraphProto) -> list[str]:
    """Names of the nodes between the last learned convolutions and the graph outputs."""
    producers = _producers(graph)
    found: dict[str, onnx.NodeProto] = {}
    stack = [producers[o.name] for o in graph.output if o.name in producers]
    while stack:
        node = stack.pop()
        if node.name in found or (node.op_type == "Conv" and not _integrates_a_softmax(node, producers)):
            continue
        found[node.name] = node
        stack.extend(producers[i] for i in node.input if i in producers)
    return sorted(found)


def quantize_int8(model: str | Path, frames: Sequence[np.ndarray], out: str | Path) -> Path:
    """Write a static INT8 QDQ copy of `model` to `out`, calibrated on `frames` (BGR images as the camera gives
    them; `calibration.spread_frames` takes them from a video)."""
    model, out = Path(model), Path(out)
    detector = Detector(model)
    with tempfile.TemporaryDirectory(prefix="edgesight-quantize-") as work:
        prepared = Path(work) / "prepared.onnx"
        quant_pre_process(str(model), str(prepared), skip_symbolic_shape=True)  # ONNX shape inference is enough for detectors; no sympy
        graph = onnx.load(str(prepared)).graph
        quantize_static(str(prepared), str(out), FrameCalibration(detector, frames), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        nodes_to_exclude=decoding_nodes(graph), calibrate_method=CalibrationMethod.MinMax)
    _keep_metadata(model, out)
    return out


def _keep_metadata(source: Path, target: Path) -> None:
    """Class names, input size and stride live in the exporter's metadata; the quantized copy needs them too."""
    original, quantized = onnx.load(str(source)), onnx.load(str(target))
    present = {p.key for p in quantized.metadata_props}
    for prop in original.metadata_props:
        if prop.key not in present:
            quantized.metadata_props.append(prop)
    onnx.save(quantized, str(target))
