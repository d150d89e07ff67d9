"""A fixed-batch export made batch-dynamic: one call over several cameras gives each camera what it got alone."""
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest

from edgesight.core.detect import Detector, DetectorError
from edgesight.core.detect.dynamic_batch import make_batch_dynamic

ROOT = Path(__file__).parent.parent
SHIPPED = ROOT / "models" / "traffic_vehicles.onnx"


def demo_frames(count):
    capture = cv2.VideoCapture(str(ROOT / "assets" / "demo_intersection.mp4"))
    frames = [capture.read()[1] for _ in range(count * 20)][::20]
    capture.release()
    return frames


def test_shipped_model_batches_three_cameras_in_one_call(tmp_path):
    path = make_batch_dynamic(SHIPPED, tmp_path / "any_batch.onnx")
    fixed, dynamic = Detector(SHIPPED), Detector(path)
    assert fixed.batch_size == 1 and dynamic.batch_size is None
    frames = demo_frames(3)
    together = dynamic(frames)
    for frame, batched in zip(frames, together):
        (alone,) = fixed([frame])
        assert len(alone) == len(batched) > 0
        np.testing.assert_allclose(batched.xyxy, alone.xyxy, atol=0.5)
        np.testing.assert_array_equal(batched.class_id, alone.class_id)


def test_graph_the_rewrite_does_not_fit_is_refused(tmp_path):
    proto = onnx.load(str(SHIPPED))
    for node in proto.graph.node:
        if node.op_type == "Reshape":  # Ultralytics writes allowzero=0 on every Reshape
            next(a for a in node.attribute if a.name == "allowzero").i = 1
    broken = tmp_path / "allowzero.onnx"
    onnx.save(proto, str(broken))
    with pytest.raises(DetectorError, match="allowzero"):
        make_batch_dynamic(broken, tmp_path / "out.onnx")
