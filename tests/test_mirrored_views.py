"""The mirrored second look (core/detect/mirrored_views.py): fusion rules, and the real detector run both ways."""
import cv2
import numpy as np
import pytest
import supervision as sv

from edgesight.apps.inspection.config import InspectionConfig
from edgesight.apps.inspection.line_run import line_detector
from edgesight.apps.inspection.sim.conveyor import ConveyorSimulator, LineSpec
from edgesight.apps.inspection.sim.conveyor_camera import ConveyorCamera
from edgesight.apps.inspection.sim.line_source import SimulatedLineSource
from edgesight.core.detect.mirrored_views import fuse_views, unmirror
from edgesight.core.models import MODELS_DIR

MODEL = MODELS_DIR / "inspection_defects.onnx"
SIM_YAML = MODELS_DIR.parent / "apps" / "inspection" / "lines" / "sim.yaml"


def boxes(*rows: tuple[float, float, float, float, int, float]) -> sv.Detections:
    a = np.array(rows, np.float32).reshape(-1, 6)
    return sv.Detections(xyxy=a[:, :4], class_id=a[:, 4].astype(int), confidence=a[:, 5])


def test_a_box_both_views_saw_is_one_box_with_their_mean_confidence() -> None:
    fused = fuse_views([boxes((10, 10, 30, 30, 2, 0.6)), boxes((12, 10, 32, 30, 2, 0.2))])
    assert len(fused) == 1
    assert fused.confidence[0] == pytest.approx(0.4)
    np.testing.assert_allclose(fused.xyxy[0], [11, 10, 31, 30])


def test_what_one_view_alone_saw_keeps_half_its_confidence() -> None:
    fused = fuse_views([boxes((10, 10, 30, 30, 2, 0.6)), boxes((200, 10, 220, 30, 2, 0.3))])
    assert sorted(fused.confidence.round(3)) == [0.15, 0.3]


def test_overlapping_boxes_of_other_classes_or_of_one_view_are_not_fused() -> None:
    fused = fuse_views([boxes((10, 10, 30, 30, 1, 0.6), (12, 10, 32, 30, 1, 0.5)), boxes((10, 10, 30, 30, 3, 0.4))])
    assert sorted(zip(fused.class_id, fused.confidence.round(3))) == [(1, 0.25), (1, 0.3), (3, 0.2)]


def test_unmirror_maps_boxes_back_to_the_image() -> None:
    np.testing.assert_allclose(unmirror(boxes((0, 5, 10, 15, 0, 0.9)), 640).xyxy, [[630, 5, 640, 15]])


def test_the_line_config_turns_the_mirrored_view_on_and_names_a_mistyped_key(tmp_path) -> None:
    text = SIM_YAML.read_text()
    assert "mirrored_view: true" in text
    assert InspectionConfig.load(SIM_YAML).detection.mirrored_view
    off = tmp_path / "off.yaml"
    off.write_text(text.replace("mirrored_view: true", "mirrored_view: false"))
    assert not InspectionConfig.load(off).detection.mirrored_view
    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("mirrored_view: true", "mirror_view: true"))
    with pytest.raises(ValueError, match="detection.mirror_view"):
        InspectionConfig.load(typo)


def test_the_mirrored_detector_sees_a_mirror_image_as_the_mirror_of_what_it_sees() -> None:
    """Both calls run the model on the same two images, in the other order: the fused boxes must agree."""
    if not MODEL.is_file():
        pytest.skip(f"{MODEL} not built yet: `edgesight train inspection` makes it")
    config = InspectionConfig.load(SIM_YAML)
    line = LineSpec(rate_hz=4.0, belt_speed_mps=0.7, diverter_mm=800, belt_width_mm=190, defect_share=1.0, seed=3)
    camera = ConveyorCamera(ConveyorSimulator(line), 640, 480, 2.4, seed=3)
    frames = [f.image for f in SimulatedLineSource(camera, fps=8, seconds=2.0, pace=False)]
    image = frames[-1]
    detector = line_detector(config, MODEL, threads=1, conf=0.02)
    assert detector.mirrored
    seen, mirrored = detector([image, cv2.flip(image, 1)])
    back = unmirror(mirrored, image.shape[1])
    assert len(seen) == len(back) > 0
    assert seen.confidence.max() >= 0.5  # parts are on the frame
    key = lambda d: np.lexsort((d.xyxy[:, 1], d.xyxy[:, 0], d.class_id))  # noqa: E731
    a, b = key(seen), key(back)
    np.testing.assert_array_equal(seen.class_id[a], back.class_id[b])
    np.testing.assert_allclose(seen.confidence[a], back.confidence[b], atol=1e-4)
    np.testing.assert_allclose(seen.xyxy[a], back.xyxy[b], atol=0.05)
