"""A smaller-input copy of a static Ultralytics export: its anchor grid moves with the input, so it finds the same
objects as the original at its own size; a graph without that grid is refused, not faked."""
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv

from edgesight.core.bench.live_replay import LiveReplay
from edgesight.core.detect import Detector, DetectorError
from edgesight.core.detect.input_size import anchor_grid, fitted_input_hw, make_input_size_copy
from edgesight.core.motion import MotionConfig
from edgesight.core.pipeline import Pipeline
from edgesight.core.sources import open_source

ROOT = Path(__file__).parent.parent
TRAFFIC = ROOT / "models" / "traffic_vehicles.onnx"
DEMO = ROOT / "assets" / "demo_intersection.mp4"


def demo_frame(index=5):
    capture = cv2.VideoCapture(str(DEMO))
    for _ in range(index + 1):
        ok, image = capture.read()
    capture.release()
    assert ok
    return image


def test_anchor_grid_counts_cells_of_strides_8_16_32():
    points, strides = anchor_grid(320, 320)
    assert points.shape == (1, 2, 2100) and strides.shape == (1, 2100)
    assert points[0, :, 0].tolist() == [0.5, 0.5] and points[0, :, 1].tolist() == [1.5, 0.5]  # x runs fastest
    assert np.unique(strides).tolist() == [8, 16, 32]


def test_copy_at_the_own_size_is_the_same_model(tmp_path):
    image = demo_frame()
    original = Detector(TRAFFIC)([image])[0]
    same = Detector(make_input_size_copy(TRAFFIC, tmp_path / "640.onnx", 640))([image])[0]
    assert len(original) > 0 and np.allclose(original.xyxy, same.xyxy)


def test_320_copy_finds_the_vehicles_the_640_model_finds():
    image = demo_frame()
    detector = Detector(TRAFFIC)
    small = detector.at_input_size(320)
    assert small.input_hw == (320, 320) and small.session.get_outputs()[0].shape == [1, 8, 2100]
    full, reduced = detector([image])[0], small([image])[0]
    assert len(reduced) > 0
    iou = sv.box_iou_batch(full.xyxy, reduced.xyxy)
    assert (iou.max(axis=1) >= 0.5).mean() >= 0.5  # boxes in frame pixels, on the same vehicles


def test_an_input_fitted_to_the_frame_keeps_the_scale_and_drops_the_padding():
    assert fitted_input_hw((640, 640), (640, 480)) == (480, 640)  # the inspection camera: no padding left
    assert fitted_input_hw((640, 640), (1280, 720)) == (384, 640)  # 360 rows at 0.5, rounded up to the stride
    assert fitted_input_hw((640, 640), (480, 640)) == (640, 480)  # portrait
    assert fitted_input_hw((640, 640), (640, 640)) == (640, 640)
    assert fitted_input_hw((384, 640), (640, 480)) == (384, 640)  # already not square: left as it is


def test_a_copy_fitted_to_720p_frames_finds_what_the_square_model_finds():
    image = demo_frame()
    assert image.shape[:2] == (720, 1280)
    detector = Detector(TRAFFIC)
    fitted = detector.fitted_to(1280, 720)
    assert fitted.input_hw == (384, 640) and fitted.session.get_outputs()[0].shape == [1, 8, 5040]
    assert fitted.path == TRAFFIC  # copies at other sizes are made from the user's file
    square, cut = detector([image])[0], fitted([image])[0]
    assert len(square) > 0 and abs(len(cut) - len(square)) <= 1
    iou = sv.box_iou_batch(square.xyxy, cut.xyxy)
    assert (iou.max(axis=1) >= 0.9).mean() >= 0.9  # same pixels, same scale: the same boxes, give or take a border
    assert detector.fitted_to(640, 640) is detector


def test_a_model_that_cannot_be_fitted_keeps_its_input():
    detector = Detector(Path(__file__).parent / "models" / "yolov8_layout.onnx")  # no anchor grid to move
    assert detector.fitted_to(640, 360) is detector


def test_a_model_without_an_anchor_grid_is_refused(tmp_path):
    with pytest.raises(DetectorError, match="anchor"):
        make_input_size_copy(Path(__file__).parent / "models" / "yolov8_layout.onnx", tmp_path / "x.onnx", 160)


def test_overloaded_pipeline_switches_to_the_smaller_input_before_skipping_frames():
    pipeline = Pipeline([LiveReplay(DEMO, "cam")], Detector(TRAFFIC), latency_budget=1e-6, overload_inputs=[320])
    runner = threading.Thread(target=pipeline.run)
    runner.start()
    deadline = time.monotonic() + 120  # a hang guard, not a timing check: the first step comes after 30 frames
    while not pipeline.governor.steps and time.monotonic() < deadline:
        time.sleep(0.2)
    pipeline.stop()
    runner.join()
    first = pipeline.stats.overload[0]
    assert (first.batch, first.input_side, first.stride) == (1, 320, 1) and "smaller model input" in first.reason


def test_small_motion_crops_go_to_the_smaller_copy_of_the_model(tmp_path):
    """The demo junction at 1920x1080, still, then a car (cut from the same frame) crossing the grass in one corner:
    the moving frames are detected on 320x320 crops by the 320 copy, one model call each."""
    junction = cv2.resize(demo_frame(), (1920, 1080))
    car = junction[331:402, 463:545].copy()  # the white car waiting on the far approach
    clip = tmp_path / "corner.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (1920, 1080))
    for i in range(8):
        image = junction.copy()
        if i >= 4:
            image[900:971, 60 + 30 * i:142 + 30 * i] = car
        writer.write(image)
    writer.release()
    pipeline = Pipeline([open_source(str(clip), source_id="cam", pace=False)], Detector(TRAFFIC), track=False,
                        motion=MotionConfig(crop_input=320))
    small_calls = []
    crop_detector = pipeline.crop_detector
    infer = crop_detector.infer
    crop_detector.infer = lambda blob: small_calls.append(blob.shape) or infer(blob)
    stats = pipeline.run()
    assert stats.cropped["cam"] == 4 and stats.still["cam"] == 3
    assert small_calls == [(1, 3, 320, 320)] * 4
