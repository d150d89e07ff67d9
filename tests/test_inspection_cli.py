"""The inspection CLI: recording the simulated line, judging a folder of images, and one-line errors for bad input.
The judge runs a real (tiny, constant) ONNX model from tests/models: it finds its planted objects in any
non-black image and nothing in a black one."""
import json
from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from edgesight.apps.inspection.cli import app

MODEL = Path(__file__).parent / "models" / "yolov8_layout.onnx"
runner = CliRunner()


def test_render_records_video_and_truth(tmp_path) -> None:
    result = runner.invoke(app, ["render", "--out", str(tmp_path), "--seconds", "1", "--fps", "10", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "video.mp4").stat().st_size > 0
    assert len((tmp_path / "frames.jsonl").read_text().splitlines()) == 11
    parts = json.loads((tmp_path / "parts.json").read_text())
    assert parts["camera"]["px_per_mm"] == 2.4 and parts["line"]["seed"] == 2


def test_judge_gives_one_verdict_per_image(tmp_path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), np.full((200, 200, 3), 120, np.uint8))
    cv2.imwrite(str(images / "b.png"), np.zeros((200, 200, 3), np.uint8))
    result = runner.invoke(app, ["judge", "--source", str(images), "--model", str(MODEL), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["image"], r["verdict"]) for r in rows] == [("a.png", "reject"), ("b.png", "pass")]
    assert rows[0]["worst_class"] == "car" and rows[0]["worst_confidence"] >= 0.89


def test_bad_input_gives_one_line_errors(tmp_path) -> None:
    too_fast = runner.invoke(app, ["evaluate", "--rate", "9", "--model", str(MODEL)])
    assert too_fast.exit_code == 2 and "raise the belt speed" in too_fast.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("verdict: {classes: {rust: {confidence: 0.5}}}\n")
    wrong = runner.invoke(app, ["render", "--out", str(tmp_path / "o"), "--config", str(bad)])
    assert wrong.exit_code == 2 and "unknown defect class" in wrong.output
    missing = runner.invoke(app, ["judge", "--source", str(tmp_path / "nope"), "--model", str(MODEL)])
    assert missing.exit_code == 2 and "not found" in missing.output
