"""`edgesight quantize`: a static INT8 QDQ copy of the shipped detector, calibrated on the demo clip, that finds
what the FP32 model finds; the command prints both models' speed and held-out mAP50."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
import supervision as sv
import typer
from typer.testing import CliRunner

from edgesight.core.detect import Detector
from edgesight.core.detect.calibration import spread_frames
from edgesight.core.detect.cli import quantize
from edgesight.core.detect.detector import int8_products_saturate
from edgesight.core.detect.quantize import decoding_nodes, quantize_int8

ROOT = Path(__file__).parent.parent
SHIPPED = ROOT / "models" / "traffic_vehicles.onnx"
DEMO = ROOT / "assets" / "demo_intersection.mp4"


def demo_frame(index):
    capture = cv2.VideoCapture(str(DEMO))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    image = capture.read()[1]
    capture.release()
    return image


def test_box_decoding_stays_float_and_learned_convolutions_do_not():
    graph = onnx.load(str(SHIPPED)).graph
    kept_float = {node.name: node.op_type for node in graph.node if node.name in set(decoding_nodes(graph))}
    assert {"Softmax", "Sigmoid", "Concat"} <= set(kept_float.values())
    assert [name.rsplit("/", 3)[-3:] for name, op in kept_float.items() if op == "Conv"] == [["dfl", "conv", "Conv"]]
    assert graph.output[0].name in {o for n in graph.node if n.name in kept_float for o in n.output}


@pytest.mark.slow
def test_int8_copy_finds_what_fp32_finds(tmp_path):
    int8 = quantize_int8(SHIPPED, spread_frames(DEMO, 16), tmp_path / "int8.onnx")
    ops = {node.op_type for node in onnx.load(str(int8)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    fp32, q = Detector(SHIPPED), Detector(int8)
    assert q.names == fp32.names == ["car", "bus", "truck", "motorcycle"]
    for index in (40, 120):
        image = demo_frame(index)
        (a,), (b,) = fp32([image]), q([image])
        assert len(a) > 3 and abs(len(a) - len(b)) <= 1
        iou = sv.box_iou_batch(a.xyxy, b.xyxy).max(axis=1)
        assert np.median(iou) > 0.85


@pytest.mark.slow
def test_command_prints_speed_and_held_out_map(tmp_path):
    subprocess.run([sys.executable, "-m", "edgesight.apps.traffic.sim.dataset", "--out", str(tmp_path / "held"),
                    "--train", "0", "--val", "0", "--test", "4", "--workers", "1"], check=True, capture_output=True)
    app = typer.Typer()
    app.command()(quantize)
    r = CliRunner().invoke(app, ["--model", str(SHIPPED), "--video", str(DEMO), "--out", str(tmp_path / "q.onnx"),
                                 "--calibration-frames", "8", "--rounds", "1", "--eval-data",
                                 str(tmp_path / "held" / "data.yaml"), "--json"])
    assert r.exit_code == 0, r.output
    figures = json.loads(r.output)
    assert figures["reference_ms"] > 0 and figures["candidate_ms"] > 0 and figures["speedup"] > 0
    assert 0 < figures["reference_map50"] <= 1 and 0 < figures["candidate_map50"] <= 1
    assert figures["map50_change_points"] is not None
    assert figures["int8_exact_kernel"] is int8_products_saturate()
