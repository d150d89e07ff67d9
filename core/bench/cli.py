"""Typer commands of the benchmark package, mounted under `edgesight bench`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .motion_bench import run_motion_bench
from .pipeline_bench import BenchSettings, run_pipeline_bench
from .table import format_report


def bench_pipeline(
    model: Annotated[Path, typer.Option("--model", "-m", help="ONNX detection model")],
    video: Annotated[Path, typer.Option("--video", help="video file replayed unpaced by every variant")],
    streams: Annotated[int, typer.Option(min=1, help="also run this many streams batched, and as many independent "
                                         "pipelines (one process each)")] = 1,
    frames: Annotated[int, typer.Option(min=2, help="frames per stream in each pass")] = 60,
    rounds: Annotated[int, typer.Option(min=1, help="interleaved rounds; ratios are medians over them")] = 3,
    track: Annotated[bool, typer.Option("--track/--no-track", help="ByteTrack in EdgeSight, .track() in "
                                        "Ultralytics")] = True,
    threads: Annotated[int, typer.Option(help="ONNX Runtime (and torch) threads for all variants; 0: ONNX "
                                         "Runtime's default")] = 0,
    ultralytics: Annotated[bool, typer.Option("--ultralytics/--no-ultralytics", help="include Ultralytics' "
                                              "pipeline (needs the bench extra)")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
) -> None:
    """Frames/s and p50/p99 latency of the raw model (session.run), Ultralytics' predict/track and EdgeSight's
    pipeline on the same video and model, each as a ratio to the raw model.

    Example (CI's short mode): edgesight bench pipeline -m model.onnx -v clip.mp4 --frames 4 --rounds 1
    """
    for path in (model, video):
        if not path.is_file():
            typer.secho(f"error: {path} not found", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
    report = run_pipeline_bench(BenchSettings(model=model, video=video, streams=streams, frames=frames,
                                              rounds=rounds, track=track, threads=threads, ultralytics=ultralytics))
    typer.echo(json.dumps(report.as_dict()) if as_json else format_report(report))


def bench_motion(
    model: Annotated[Path, typer.Option("--model", "-m", help="ONNX detection model")],
    video: Annotated[Path, typer.Option("--video", help="a clip with idle periods (an empty belt between parts, "
                                        "a quiet road)")],
    rounds: Annotated[int, typer.Option(min=1, help="interleaved rounds; the speed-up is their median")] = 3,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: its default)")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
) -> None:
    """Frames/s of the pipeline with and without the motion gate on VIDEO, and the detections the gate missed
    against the ungated run.

    Example: edgesight bench motion -m models/inspection_defects.onnx --video conveyor.mp4
    """
    for path in (model, video):
        if not path.is_file():
            typer.secho(f"error: {path} not found", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
    r = run_motion_bench(model, video, rounds=rounds, threads=threads)
    if as_json:
        typer.echo(json.dumps(r.as_dict()))
        return
    typer.echo(f"{r.video}: {r.frames} frames, unpaced, {rounds} interleaved rounds")
    typer.echo(f"without motion gate {r.fps_ungated:.1f} frames/s; with {r.fps_gated:.1f} frames/s "
               f"({r.speedup:.2f}x); {r.still_frames} frames answered without the model")
    typer.echo(f"missed: {r.missed_detections} of {r.reference_detections} detections of the ungated run; "
               f"tracks {r.tracks_gated} gated vs {r.tracks_ungated} ungated")
