"""Live overload: the latency governor's steps, and a pipeline of live cameras that cannot keep up reporting what
it dropped, skipped and changed (no timing is asserted: the budget below is one no machine can hold)."""
from pathlib import Path

import typer
from typer.testing import CliRunner

from edgesight.core.bench.cli import bench_overload
from edgesight.core.bench.live_replay import LiveReplay
from edgesight.core.detect import Detector
from edgesight.core.overload import LatencyGovernor
from edgesight.core.pipeline import Pipeline

MODELS = Path(__file__).parent / "models"


def test_governor_starts_at_one_frame_per_call_shrinks_calls_first_then_skips_frames_then_relaxes_in_reverse():
    governor = LatencyGovernor(0.1, batch_size=4, window=5)
    assert governor.batch == 1
    for i in range(30):  # growing takes 3 calm windows (of 5 frames) per step
        governor.observe(0.01, now=i * 0.1)
    assert [(s.batch, s.stride) for s in governor.steps] == [(2, 1), (4, 1)]
    for i in range(14):  # a step at the second slow frame, then two more captured after it for the next
        governor.observe(0.25, now=10 + i * 0.1)
    assert [(s.batch, s.stride) for s in governor.steps[2:]] == [(2, 1), (1, 1), (1, 2), (1, 4)]
    assert governor.steps[2].p99_ms == 250.0 and "over budget" in governor.steps[2].reason
    for i in range(60):
        governor.observe(0.01, now=12 + i * 0.1)
    assert [(s.batch, s.stride) for s in governor.steps[6:]] == [(1, 2), (1, 1), (2, 1), (4, 1)]


def test_governor_acts_once_the_window_is_sure_to_be_over_and_ignores_frames_from_before_its_step():
    governor = LatencyGovernor(1.0, batch_size=1, window=30)
    governor.observe(0.2, now=10.0)
    governor.observe(1.5, now=10.5)
    assert governor.stride == 1  # one slow frame among 30 need not put the p99 over the budget
    governor.observe(1.4, now=11.0)
    assert governor.stride == 2 and governor.steps[0].at_s == 1.0  # two do, so the step comes at the third frame
    for i in range(5):  # frames captured before that step waited under the old setting: not counted
        governor.observe(1.6, now=11.2 + 0.1 * i)
    assert governor.stride == 2
    governor.observe(1.2, now=12.3)
    governor.observe(1.2, now=12.4)
    assert governor.stride == 4


def test_governor_relaxes_only_after_calm_windows_in_a_row():
    governor = LatencyGovernor(0.1, batch_size=2, window=5)
    for latency in [0.01] * 10 + [0.07] * 5 + [0.01] * 10:  # two calm windows, one that is not, two calm again
        governor.observe(latency, now=1.0)
    assert governor.batch == 1 and not governor.steps
    for _ in range(5):
        governor.observe(0.01, now=2.0)
    assert governor.batch == 2


def test_governor_tries_a_smaller_input_before_skipping_frames():
    governor = LatencyGovernor(0.1, batch_size=2, input_sides=[640, 480, 320], window=5)
    for i in range(14):
        governor.observe(0.25, now=i * 0.1)
    assert [(s.batch, s.input_side, s.stride) for s in governor.steps] == [
        (1, 480, 1), (1, 320, 1), (1, 320, 2), (1, 320, 4)]
    for i in range(75):
        governor.observe(0.01, now=2 + i * 0.1)
    assert [(s.batch, s.input_side, s.stride) for s in governor.steps[4:]] == [
        (1, 320, 2), (1, 320, 1), (1, 480, 1), (1, 640, 1), (2, 640, 1)]
    assert "smaller model input" in governor.steps[0].reason


def test_live_cameras_over_budget_skip_and_report(mjpg_video):
    import threading

    sources = [LiveReplay(mjpg_video.path, f"cam{i}") for i in range(3)]
    pipeline = Pipeline(sources, Detector(MODELS / "yolov8_layout_dynamic.onnx"), batch_size=3,
                        latency_budget=1e-6)
    threading.Timer(2.5, pipeline.stop).start()
    stats = pipeline.run()
    assert sum(stats.frames.values()) > 0
    assert stats.overload and stats.overload[0].batch < 3
    assert any(step.stride > 1 for step in stats.overload)
    assert sum(stats.skipped.values()) > 0


def test_command_prints_both_runs(mjpg_video):
    app = typer.Typer()
    app.command()(bench_overload)
    r = CliRunner().invoke(app, ["--model", str(MODELS / "yolov8_layout.onnx"), "--video", str(mjpg_video.path),
                                 "--cameras", "2", "--seconds", "1.5", "--budget-ms", "1"])
    assert r.exit_code == 0, r.output
    assert "none" in r.output and "p99 1 ms" in r.output and "frames per call" in r.output
    # the layout test model has no anchor grid to move to a 320 input: the bench says so instead of faking it
    assert "no run with smaller inputs" in r.output and "anchor count" in r.output
