"""`edgesight detect` as a user runs it: a real process, real files and streams, exit codes and one-line errors;
`--motion` and `--latency-budget-ms` included."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
from test_motion_gate import write_idle_clip

MODELS = Path(__file__).parent / "models"
EDGESIGHT = [sys.executable, "-m", "edgesight.core.cli"]


def run(*args, timeout=120, columns=80):
    return subprocess.run([*EDGESIGHT, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": str(columns)})


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


def test_help_explains_motion_gating_and_the_latency_budget():
    r = run("detect", "--help", columns=1000)  # one line per option: the text is not broken across table rows
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "--motion" in text and "without running the model" in text and "crop" in text
    assert "--latency-budget" in text and "every k-th frame" in text


def test_motion_answers_still_frames_without_the_model_and_every_frame_keeps_its_objects(tmp_path):
    out = tmp_path / "tracks.jsonl"
    r = run("detect", "-s", write_idle_clip(tmp_path / "idle.avi"), "-m", MODELS / "yolov8_layout.onnx",
            "--no-pace", "--motion", "-o", out)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 40
    still = int(re.search(r"answered without the model \{'[^']+': (\d+)\}", r.stderr).group(1))
    assert 25 <= still <= 29  # the two still stretches, less the frames that see the car arrive and leave
    # held detections go through the tracker like fresh ones: on the still road before the car, the two planted
    # objects keep their track ids from frame to frame
    ids = [sorted(o["track_id"] for o in line["objects"]) for line in lines[2:15]]
    assert all(i == ids[0] for i in ids) and len(ids[0]) == 2


def test_latency_budget_skips_live_frames_and_reports_each_step(rtsp_server):
    r = run("detect", "-s", rtsp_server.url, "-m", MODELS / "yolov8_layout.onnx", "-q", "--max-frames", "150",
            "--latency-budget-ms", "1")  # no frame gets from capture to result in 1 ms: the governor must act
    assert r.returncode == 0, r.stderr
    skipped = int(re.search(r"live frames skipped \{'[^']+': (\d+)\}", r.stderr).group(1))
    assert skipped > 0
    assert re.search(r"p99 over budget: skip frames of live cameras -> .*1 in 2 live frames inferred", r.stderr)


def test_overload_input_needs_a_budget_and_a_model_whose_input_can_shrink(mp4v_video):
    r = run("detect", "-s", mp4v_video.path, "-m", MODELS / "yolov8_layout.onnx", "--overload-input", "160")
    assert r.returncode == 2 and "--latency-budget-ms" in r.stderr and "Traceback" not in r.stderr
    r = run("detect", "-s", mp4v_video.path, "-m", MODELS / "yolov8_layout.onnx", "--overload-input", "160",
            "--latency-budget-ms", "500")
    assert r.returncode == 2 and "anchor count" in r.stderr and "Traceback" not in r.stderr
