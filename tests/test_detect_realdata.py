"""The real COCO-pretrained YOLOX-nano from the shared corpus on real images (SOURCES.md lists what it finds)."""
import cv2
import numpy as np
import pytest

from edgesight.core.detect import Detector


@pytest.fixture(scope="module")
def yolox(realdata):
    return Detector(realdata / "detector" / "yolox_nano_416_coco.onnx", conf=0.3, iou=0.45)


def test_yolox_nano_finds_the_bus_and_three_people(yolox, realdata):
    det = yolox([cv2.imread(str(realdata / "traffic" / "images" / "swdee_bus.jpg"))])[0]
    assert yolox.layout.name == "yolox"
    found = sorted(zip(det.data["class_name"], det.confidence.round(2), det.xyxy.round().tolist()),
                   key=lambda d: -d[1])
    assert [(n, c) for n, c, _ in found] == [("bus", 0.88), ("person", 0.87), ("person", 0.80), ("person", 0.79)]
    np.testing.assert_allclose(found[0][2], [95, 136, 553, 437], atol=2)
    np.testing.assert_allclose(found[1][2], [109, 234, 206, 535], atol=2)


def test_yolox_nano_on_a_real_motorway_frame(yolox, realdata):
    cap = cv2.VideoCapture(str(realdata / "traffic" / "videos" / "bgslibrary_video03.avi"))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 212)
    ok, frame = cap.read()
    assert ok
    det = yolox([frame])[0]
    vehicles = [n for n in det.data["class_name"] if n in ("car", "truck", "bus", "motorcycle")]
    assert len(vehicles) >= 2, det
