"""`edgesight bench pipeline` in CI's short mode: it runs every variant it can and prints the table (no speed is
asserted here; the figures live in the README, each with the command that made it)."""
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from edgesight.core.bench.cli import bench_pipeline
from edgesight.core.bench.timing import Pass, Stamped

MODELS = Path(__file__).parent / "models"


def bench_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(bench_pipeline)
    return app


def test_short_mode_prints_the_table(mp4v_video):
    r = CliRunner().invoke(bench_app(), ["--model", str(MODELS / "yolov8_layout.onnx"), "--video",
                                         str(mp4v_video.path), "--frames", "4", "--rounds", "1"])
    assert r.exit_code == 0, r.output
    assert "onnxruntime session.run" in r.output and "edgesight pipeline" in r.output
    assert "frames/s" in r.output and "p99 ms" in r.output
    assert "CPU ms a frame, which the floor leaves out" in r.output  # the decode, whose cost the codec decides
    # Ultralytics is an optional extra: either it ran, or the table says why not
    assert "ultralytics" in r.output


@pytest.mark.slow  # starts two pipeline processes
def test_json_with_streams_has_batched_and_independent_rows(mp4v_video):
    r = CliRunner().invoke(bench_app(), ["--model", str(MODELS / "yolov8_layout_dynamic.onnx"), "--video",
                                         str(mp4v_video.path), "--frames", "4", "--rounds", "1", "--streams", "2",
                                         "--no-ultralytics", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    names = [row["name"] for row in report["rows"]]
    assert names == ["onnxruntime session.run", "edgesight pipeline", "edgesight 2 streams batched",
                     "2 independent pipelines"]
    assert all(row["fps"] > 0 and row["p50_ms"] <= row["p99_ms"] for row in report["rows"])
    assert {"batched_fps_x_independent", "batched_cpu_x_independent", "batched_fps_x_one_stream"} <= set(
        report["ratios"])
    assert all(row["cpu_ms_per_frame"] > 0 for row in report["rows"])
    assert report["rows"][0]["cost_x_floor"] == 1.0
    assert report["media"]["width"] > 0 and report["media"]["decode_cpu_ms"] > 0


def test_missing_video_is_one_line_error(tmp_path):
    r = CliRunner().invoke(bench_app(), ["--model", str(MODELS / "yolov8_layout.onnx"), "--video",
                                         str(tmp_path / "none.mp4")])
    assert r.exit_code == 2 and "none.mp4 not found" in r.output


def test_concurrent_runs_merge_into_one_pass():
    # two runs of 3 results each; each run's first result only starts its clock
    merged = Pass.merged([Stamped([0.0, 1.0, 2.0], [9.0, 0.5, 0.5], 1.0),
                          Stamped([0.5, 1.5, 3.0], [9.0, 0.25, 0.75], 3.0)])
    assert merged.frames == 4 and merged.seconds == 3.0
    assert sorted(merged.latencies) == [0.25, 0.5, 0.5, 0.75]
    assert merged.cpu_ms_per_frame == 1000.0


def test_a_wide_video_adds_a_row_with_the_input_fitted_to_it():
    root = Path(__file__).parent.parent
    r = CliRunner().invoke(bench_app(), ["--model", str(root / "models" / "traffic_vehicles.onnx"), "--video",
                                         str(root / "assets" / "demo_intersection.mp4"), "--frames", "3", "--rounds",
                                         "1", "--no-ultralytics", "--json"])
    assert r.exit_code == 0, r.output
    names = [row["name"] for row in json.loads(r.output)["rows"]]
    # the floor and the first EdgeSight row run the model's own 640x640 graph; the fitted copy has its own row
    assert names == ["onnxruntime session.run", "edgesight pipeline", "edgesight, input 640x384"]
