"""`edgesight quantize`: a static INT8 copy of a detector, with its speed and accuracy against the original."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

RENDER_HELD_OUT = ("python -m edgesight.apps.traffic.sim.dataset --out DIR --train 0 --val 0 --test 200 --seed 0 "
                   "--workers 2")


def quantize(
    model: Annotated[Path, typer.Option("--model", "-m", help="FP32 ONNX detection model")],
    video: Annotated[Path, typer.Option("--video", help="your own footage: calibration frames come from it")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="INT8 model to write; default: "
                                                "MODEL.int8.onnx beside the model")] = None,
    calibration_frames: Annotated[int, typer.Option(min=8, help="frames spread over the video")] = 64,
    eval_data: Annotated[Optional[Path], typer.Option(help="data.yaml of a labelled YOLO set whose test split "
                                                      f"scores both models (the project's: {RENDER_HELD_OUT})")] = None,
    rounds: Annotated[int, typer.Option(min=1, help="interleaved timing rounds")] = 5,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: its default)")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
) -> None:
    """Write a static INT8 (QDQ) model calibrated on VIDEO, then print FP32 and INT8 session.run time on VIDEO's
    frames and, with --eval-data, both models' mAP50.

    Example: edgesight quantize -m models/traffic_vehicles.onnx --video site.mp4 --eval-data held_out/data.yaml
    """
    from ..bench.model_compare import compare_models
    from .calibration import spread_frames
    from .detector import int8_products_saturate
    from .quantize import quantize_int8

    for path in (model, video, *([eval_data] if eval_data else [])):
        if not path.is_file():
            typer.secho(f"error: {path} not found", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
    target = quantize_int8(model, spread_frames(video, calibration_frames), out or model.with_suffix(".int8.onnx"))
    figures = compare_models(model, target, video, rounds=rounds, threads=threads, eval_data=eval_data)
    exact_kernel = int8_products_saturate()
    if as_json:
        typer.echo(json.dumps({**figures.as_dict(), "int8_exact_kernel": exact_kernel}))
        return
    typer.echo(f"wrote {target}")
    if exact_kernel:
        typer.echo("note: this CPU has no VNNI, so INT8 runs here on ONNX Runtime's exact uint8 kernel (the fast "
                   "one saturates without VNNI and loses accuracy); expect little or no speed-up over FP32 here, "
                   "and the INT8 gain on a CPU with AVX-512 VNNI or AVX-VNNI")
    typer.echo(f"session.run per frame: FP32 {figures.reference_ms:.1f} ms, INT8 {figures.candidate_ms:.1f} ms, "
               f"INT8 {figures.speedup:.2f}x faster (median of {rounds} interleaved rounds)")
    if figures.map50_change_points is not None:
        typer.echo(f"mAP50 on {eval_data}: FP32 {figures.reference_map50:.4f}, INT8 {figures.candidate_map50:.4f} "
                   f"({figures.map50_change_points:+.2f} points)")
