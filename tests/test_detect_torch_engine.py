"""The torch engine (ONNX graph through onnx2torch, for GPU boxes whose onnxruntime has no GPU provider) gives
the detections ONNX Runtime gives. Needs torch and onnx2torch; run here on the CPU."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from edgesight.core.detect import Detector

pytest.importorskip("onnx2torch")
from edgesight.core.detect.torch_engine import TorchEngine  # noqa: E402

ROOT = Path(__file__).parent.parent


def test_torch_engine_matches_onnxruntime_on_demo_frames():
    capture = cv2.VideoCapture(str(ROOT / "assets" / "demo_intersection.mp4"))
    frames = [capture.read()[1] for _ in range(2)]
    reference = Detector(ROOT / "models" / "traffic_vehicles.onnx")
    torch_detector = Detector(ROOT / "models" / "traffic_vehicles.onnx")
    torch_detector.engine = TorchEngine(torch_detector.path, torch_detector.layout.convention, device="cpu",
                                        half=False)
    for a, b in zip(reference(frames), torch_detector(frames)):
        assert len(a) == len(b) > 0
        np.testing.assert_allclose(a.xyxy, b.xyxy, atol=0.5)
