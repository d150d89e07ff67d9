"""`edgesight detect` as a user runs it: a real process, real files, exit codes and one-line errors."""
import json
import subprocess
import sys
from pathlib import Path

import cv2

MODELS = Path(__file__).parent / "models"
EDGESIGHT = [sys.executable, "-m", "edgesight.core.cli"]


def run(*args, timeout=120):
    return subprocess.run([*EDGESIGHT, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def test_detect_writes_json_lines_video_and_latency_summary(mp4v_video, tmp_path):
    out, video = tmp_path / "tracks.jsonl", tmp_path / "annotated.mp4"
    r = run("detect", "-s", mp4v_video.path, "-m", MODELS / "yolov8_layout.onnx", "--no-pace", "-o", out,
            "--save", video)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == mp4v_video.frames
    assert lines[-1]["objects"] and {o["class"] for o in lines[-1]["objects"]} == {"car", "truck"}
    assert "end_to_end" in r.stderr and "p99 ms" in r.stderr
    cap = cv2.VideoCapture(str(video))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == mp4v_video.frames


def test_missing_video_is_one_line_error(tmp_path):
    r = run("detect", "-s", tmp_path / "nope.mp4", "-m", MODELS / "yolov8_layout.onnx")
    assert r.returncode != 0
    assert "nope.mp4" in r.stderr and "Traceback" not in r.stderr


def test_not_a_detection_model_is_one_line_error(mp4v_video):
    r = run("detect", "-s", mp4v_video.path, "-m", MODELS / "classifier.onnx")
    assert r.returncode != 0
    assert "not a detection model" in r.stderr and "Traceback" not in r.stderr


def test_unknown_class_filter_lists_the_model_classes(mp4v_video):
    r = run("detect", "-s", mp4v_video.path, "-m", MODELS / "yolov8_layout.onnx", "--classes", "tram")
    assert r.returncode != 0 and "car, bus, truck" in r.stderr
