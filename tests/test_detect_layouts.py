"""Every output layout EdgeSight reads, on small real ONNX graphs built by tests/models/make_layout_models.py."""
from pathlib import Path

import numpy as np
import pytest

from edgesight.core.detect import Detector, DetectorError

MODELS = Path(__file__).parent / "models"
WHITE = np.full((320, 320, 3), 255, np.uint8)
BLACK = np.zeros((320, 320, 3), np.uint8)
EXPECTED = [((70, 100, 130, 140), 0, 0.9), ((180, 170, 260, 230), 2, 0.8)]  # xyxy, class, score


def assert_planted(det, scale=1.0, offset=(0, 0)):
    order = np.argsort(-det.confidence)
    assert len(det) == 2, det
    for (box, cls, score), i in zip(EXPECTED, order):
        want = np.array(box, dtype=float) * scale + np.array(offset * 2)
        np.testing.assert_allclose(det.xyxy[i], want, atol=1.0)
        assert det.class_id[i] == cls
        assert det.confidence[i] == pytest.approx(score, abs=1e-3)


@pytest.mark.parametrize("model, layout", [("yolov8_layout", "yolov8"), ("yolov5_layout", "yolov5"),
                                           ("end2end_layout", "end2end"), ("yolox_layout", "yolox")])
def test_layout_detected_and_decoded(model, layout):
    det = Detector(MODELS / f"{model}.onnx", conf=0.25, iou=0.5)
    assert det.layout.name == layout
    assert det.input_hw == (320, 320)
    (white,), (black,) = det([WHITE]), det([BLACK])
    assert_planted(white)
    assert len(black) == 0


def test_names_from_metadata_and_override(tmp_path):
    det = Detector(MODELS / "yolov8_layout.onnx")
    assert det.names == ["car", "bus", "truck"]
    assert list(det([WHITE])[0].data["class_name"][np.argsort(-det([WHITE])[0].confidence)]) == ["car", "truck"]
    names = tmp_path / "names.txt"
    names.write_text("auto\nbus\nlorry\n")
    assert Detector(MODELS / "yolov8_layout.onnx", names=names).names == ["auto", "bus", "lorry"]


def test_sidecar_names_for_model_without_metadata(tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes((MODELS / "yolox_layout.onnx").read_bytes())
    (tmp_path / "m.yaml").write_text("names: [van, coach, lorry]\n")
    assert Detector(model).names == ["van", "coach", "lorry"]


def test_letterbox_maps_boxes_back_to_image_pixels():
    """A 640x480 frame is scaled by 0.5 and padded 40 px top and bottom in the 320x320 input (centred)."""
    det = Detector(MODELS / "yolov8_layout.onnx")
    frame = np.full((480, 640, 3), 255, np.uint8)
    assert_planted(det([frame])[0], scale=2.0, offset=(0, -80))


def test_yolox_letterbox_is_top_left():
    det = Detector(MODELS / "yolox_layout.onnx")
    frame = np.full((480, 640, 3), 255, np.uint8)
    assert_planted(det([frame])[0], scale=2.0)  # padding at the bottom only: scale, no offset


def test_batches_keep_images_apart():
    for name in ("yolov8_layout_dynamic", "yolov8_layout"):  # dynamic batch, and fixed batch 1 fed in chunks
        det = Detector(MODELS / f"{name}.onnx")
        results = det([WHITE, BLACK, WHITE])
        assert [len(r) for r in results] == [2, 0, 2]


def test_class_filter():
    det = Detector(MODELS / "yolov8_layout.onnx", classes=[2])
    (out,) = det([WHITE])
    assert out.class_id.tolist() == [2]


def test_confidence_threshold():
    assert len(Detector(MODELS / "yolov8_layout.onnx", conf=0.85)([WHITE])[0]) == 1


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.onnx", "model file not found"),
    (lambda p: (p / "text.onnx").write_text("hello") and p / "text.onnx", "not a loadable ONNX model"),
    (lambda p: MODELS / "classifier.onnx", "not a detection model"),
])
def test_bad_models_give_clear_errors(tmp_path, make, message):
    with pytest.raises(DetectorError, match=message):
        Detector(make(tmp_path))


def test_unknown_device_is_a_clear_error():
    with pytest.raises(DetectorError, match="unknown device"):
        Detector(MODELS / "yolov8_layout.onnx", device="tpu")
