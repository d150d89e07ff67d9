"""The training command refuses bad options before it renders or imports Ultralytics (so these run without the
`train` extra)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from edgesight.core.training.train import int8_blocker, main


def test_an_input_size_off_the_stride_grid_is_refused(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["inspection", "--out", str(tmp_path), "--imgsz", "950"])
    assert "--imgsz 950 is not a multiple of 32" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_resume_without_an_interrupted_run_says_which_checkpoint_is_missing(tmp_path) -> None:
    with pytest.raises(SystemExit, match=r"--resume: no interrupted run in .*last\.pt is missing"):
        main(["inspection", "--out", str(tmp_path), "--resume"])


def test_quantize_only_needs_a_finished_run(tmp_path) -> None:
    with pytest.raises(SystemExit, match=r"--quantize-only: no finished run in .*inspection_defects\.onnx and "
                                         r"inspection_defects\.json are needed"):
        main(["inspection", "--out", str(tmp_path), "--quantize-only"])
    assert not (tmp_path / "data").exists()


def test_quantize_only_refuses_a_recipe_without_an_int8_step(tmp_path) -> None:
    with pytest.raises(SystemExit, match="traffic_vehicles recipe ships its FP32 export"):
        main(["traffic", "--out", str(tmp_path), "--quantize-only"])


def test_the_int8_step_can_run_where_edgesight_is_installed() -> None:
    assert int8_blocker() is None


def test_a_gpu_box_without_the_runtime_is_told_how_to_finish() -> None:
    # The GPU route carries only ultralytics' wheels, so supervision is missing there; blocked here on purpose.
    code = ("import sys; sys.modules['supervision'] = None\n"
            "from edgesight.core.training.train import int8_blocker; print(int8_blocker())")
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "needs EdgeSight's runtime" in said and "supervision" in said and "--quantize-only" in said
