"""models/README.md is written from the training summaries beside the models; an INT8 model's section says so and
keeps the FP32 export's figures."""
import json

from edgesight.core.training.model_card import write_readme

SUMMARY = {"model": "inspection_defects.onnx", "app": "inspection", "architecture": "yolo11s.yaml", "imgsz": 640,
           "epochs": 90, "hours": 0.25, "train_images": 5000, "train_seconds": 993.3, "device": "NVIDIA H200 (cuda:0)",
           "render_seconds": 75.0, "onnx_bytes": 10_190_303, "held_out": "test split rendered with seed 1 (train 0)",
           "map50": 0.96, "map50_95": 0.78, "rebuild": "edgesight train inspection",
           "per_class": {"part": {"map50": 0.995, "map50_95": 0.995}, "scratch": {"map50": 0.9, "map50_95": 0.6}}}


def test_a_float_model_has_no_int8_line(tmp_path) -> None:
    (tmp_path / "inspection_defects.json").write_text(json.dumps(SUMMARY))
    text = write_readme(tmp_path).read_text()
    assert "## `inspection_defects.onnx` (inspection)" in text
    assert "yolo11s.yaml, input 640x640, 90 epochs (15-minute training budget)" in text
    assert "**mAP50 0.960, mAP50-95 0.780**" in text and "| scratch | 0.900 | 0.600 |" in text
    assert "INT8" not in text.split("## `inspection_defects.onnx`")[1]


def test_an_int8_model_names_its_calibration_and_the_fp32_figures(tmp_path) -> None:
    summary = {**SUMMARY, "int8": {"calibration": "64 validation renders", "fp32_map50": 0.9656,
                                   "fp32_map50_95": 0.7854, "fp32_onnx_bytes": 37_896_468}}
    (tmp_path / "inspection_defects.json").write_text(json.dumps(summary))
    section = write_readme(tmp_path).read_text().split("## `inspection_defects.onnx`")[1]
    assert "static INT8 (QDQ" in section and "calibrated on 64 validation renders" in section
    fp32 = " ".join(section.split("FP32 export scored")[1].split()[:5])
    assert fp32 == "mAP50 0.966, mAP50-95 0.785 (37.9", fp32
