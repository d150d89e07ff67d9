"""Motion gating: frames of a still scene keep the detections already held; nothing that moves is missed."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from edgesight.core.bench.cli import bench_motion
from edgesight.core.detect import Detector
from edgesight.core.motion import MotionConfig, MotionGate
from edgesight.core.pipeline import Pipeline
from edgesight.core.sources import open_source

ROOT = Path(__file__).parent.parent
MODELS = Path(__file__).parent / "models"


def scene(rng, car_x=None):
    """A grey road with sensor noise of a few grey levels, and optionally a dark car at `car_x`."""
    image = np.clip(np.full((720, 1280, 3), 120.0) + rng.normal(0, 3, (720, 1280, 3)), 0, 255).astype(np.uint8)
    if car_x is not None:
        cv2.rectangle(image, (car_x, 400), (car_x + 60, 440), (30, 30, 30), -1)
    return image


def test_noise_is_still_and_a_small_car_is_motion():
    rng = np.random.default_rng(0)
    gate = MotionGate()
    assert gate.needs_detection(scene(rng), 0.0)  # first frame: nothing held yet
    assert not any(gate.needs_detection(scene(rng), t / 10) for t in range(1, 10))
    assert gate.needs_detection(scene(rng, car_x=600), 1.0)
    assert not gate.needs_detection(scene(rng, car_x=600), 1.1)  # parked: same as the reference
    assert gate.needs_detection(scene(rng, car_x=620), 1.2)


def test_slow_drift_adds_up_against_the_reference():
    rng = np.random.default_rng(1)
    gate = MotionGate()
    gate.needs_detection(scene(rng, car_x=600), 0.0)
    # 1 px per frame is below what one frame difference shows, but the reference stays put
    moved = [gate.needs_detection(scene(rng, car_x=600 + dx), dx / 10) for dx in range(1, 15)]
    assert any(moved)


def test_refresh_runs_the_detector_on_a_long_still_scene():
    rng = np.random.default_rng(2)
    gate = MotionGate(MotionConfig(refresh_s=1.0))
    answers = [gate.needs_detection(scene(rng), t / 10) for t in range(25)]
    assert answers.count(True) == 3  # at 0, 1.0 and 2.0 s


def write_idle_clip(path, frames=40):
    """A still road, a car crossing in frames 15-24, then still again."""
    rng = np.random.default_rng(3)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (1280, 720))
    for i in range(frames):
        writer.write(scene(rng, car_x=100 + (i - 15) * 100 if 15 <= i < 25 else None))
    writer.release()
    return path


def test_pipeline_answers_still_frames_without_the_model(tmp_path):
    clip = write_idle_clip(tmp_path / "idle.avi")
    stats = Pipeline([open_source(str(clip), source_id="cam", pace=False)], Detector(MODELS / "yolov8_layout.onnx"),
                     motion=MotionConfig()).run()
    assert stats.frames["cam"] == 40
    # 15 + 15 still frames minus the first frame and the frame after the car left; the rest skipped the model
    assert 25 <= stats.still["cam"] <= 29
    assert stats.batches == 40 - stats.still["cam"]


@pytest.mark.slow
def test_bench_on_a_conveyor_with_gaps_misses_no_part(tmp_path):
    subprocess.run([sys.executable, "-m", "edgesight.core.cli", "inspection", "render", "--out", str(tmp_path),
                    "--rate", "0.5", "--speed", "0.35", "--seconds", "8", "--fps", "10"], check=True,
                   capture_output=True)
    app = typer.Typer()
    app.command()(bench_motion)
    r = CliRunner().invoke(app, ["--model", str(ROOT / "models" / "inspection_defects.onnx"), "--video",
                                 str(tmp_path / "video.mp4"), "--rounds", "1"])
    assert r.exit_code == 0, r.output
    assert "missed: 0 of" in r.output
    assert "frames answered without the model" in r.output
