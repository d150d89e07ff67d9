"""The training command refuses bad options before it renders or imports Ultralytics (so these run without the
`train` extra)."""
from __future__ import annotations

import pytest

from edgesight.core.training.train import main


def test_an_input_size_off_the_stride_grid_is_refused(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["inspection", "--out", str(tmp_path), "--imgsz", "950"])
    assert "--imgsz 950 is not a multiple of 32" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_resume_without_an_interrupted_run_says_which_checkpoint_is_missing(tmp_path) -> None:
    with pytest.raises(SystemExit, match=r"--resume: no interrupted run in .*last\.pt is missing"):
        main(["inspection", "--out", str(tmp_path), "--resume"])
