"""Typer commands of the benchmark package, mounted under `edgesight bench`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

# Each command imports its benchmark when it runs: they pull in onnx (0.7 s), which `edgesight --help` need not pay.


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
    from .pipeline_bench import BenchSettings, run_pipeline_bench
    from .table import format_report

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
    """Frames/s of the pipeline without the motion gate, with it on whole frames, and with it also choosing crops
    around what moved, on VIDEO; frames answered without the model or on a crop; detections missed against the
    ungated run (same class, IoU >= 0.5 on the same frame).

    Example: edgesight bench motion -m models/inspection_defects.onnx --video conveyor.mp4
    """
    for path in (model, video):
        if not path.is_file():
            typer.secho(f"error: {path} not found", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
    from .motion_bench import run_motion_bench

    r = run_motion_bench(model, video, rounds=rounds, threads=threads)
    if as_json:
        typer.echo(json.dumps(r.as_dict()))
        return
    typer.echo(f"{r.video}: {r.frames} frames, unpaced, {rounds} interleaved rounds; {r.reference_detections} "
               f"detections in the ungated run")
    typer.echo(f"{'':>18}{'frames/s':>10}{'x ungated':>10}{'no model':>10}{'on a crop':>10}{'missed':>8}{'extra':>7}"
               f"{'tracks':>8}")
    for v in r.variants:
        typer.echo(f"{v.name:>18}{v.fps:>10.1f}{v.speedup:>10.2f}{v.still_frames:>10}{v.cropped_frames:>10}"
                   f"{v.missed_detections:>8}{v.extra_detections:>7}{v.tracks:>8}")


def bench_overload(
    model: Annotated[Path, typer.Option("--model", "-m", help="ONNX detection model")],
    video: Annotated[Path, typer.Option("--video", help="replayed as live cameras at its own frame rate")],
    cameras: Annotated[int, typer.Option(min=1, help="live cameras, all batched into one model")] = 4,
    seconds: Annotated[float, typer.Option(min=1, help="length of each run")] = 20.0,
    budget_ms: Annotated[float, typer.Option(min=1, help="p99 capture-to-result budget of the second run")] = 500.0,
    smaller_input: Annotated[list[int], typer.Option(help="a third run may also switch the model to this square "
                                                     "input (repeat for several; none: no third run)")] = [320],
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: its default)")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
) -> None:
    """Live cameras faster than the box: latency without a budget, then with a p99 budget, with the stale frames
    dropped, frames skipped and every change the pipeline made to hold the budget.

    Example: edgesight bench overload -m models/traffic_vehicles.onnx --video clip.mp4 --cameras 4 --budget-ms 400
    """
    for path in (model, video):
        if not path.is_file():
            typer.secho(f"error: {path} not found", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
    from .overload_bench import run_overload_bench

    report = run_overload_bench(model, video, cameras=cameras, seconds=seconds, budget_ms=budget_ms,
                                smaller_inputs=smaller_input, threads=threads)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
        return
    typer.echo(f"{cameras} live replays of {video}, {seconds:g} s per run")
    typer.echo(f"{'budget':>12}{'inputs':>10}{'offered/s':>11}{'done/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'dropped':>9}"
               f"{'skipped':>9}")
    for run in report.runs:
        budget = "none" if run.budget_ms is None else f"p99 {run.budget_ms:g} ms"
        inputs = "+".join(map(str, run.smaller_inputs)) or "own"
        typer.echo(f"{budget:>12}{inputs:>10}{run.offered_fps:>11.1f}{run.processed_fps:>9.1f}{run.p50_ms:>9.1f}"
                   f"{run.p99_ms:>9.1f}{run.dropped:>9}{run.skipped:>9}")
    if report.no_smaller_input:
        typer.echo(f"no run with smaller inputs: {report.no_smaller_input}")
    for run in report.runs[1:]:
        typer.echo(f"steps with inputs {'+'.join(map(str, run.smaller_inputs)) or 'own'}:")
        for step in run.steps:
            side = "" if step.input_side is None else f"input {step.input_side}, "
            typer.echo(f"  at {step.at_s:6.1f} s (p99 {step.p99_ms:.0f} ms): {step.reason} -> {step.batch} frames "
                       f"per call, {side}1 in {step.stride} live frames inferred")


def bench_streams(
    model: Annotated[Path, typer.Option("--model", "-m", help="ONNX detection model")],
    video: Annotated[Path, typer.Option("--video", help="replayed unpaced as every stream")],
    streams: Annotated[str, typer.Option(help="comma-separated stream counts to measure")] = "1,4",
    frames: Annotated[int, typer.Option(min=2, help="frames per stream and count")] = 60,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, openvino, or torch (the ONNX graph through torch "
                                       "on a CUDA GPU, where onnxruntime has no GPU provider)")] = "auto",
    camera_fps: Annotated[float, typer.Option(help="a stream is sustained when it gets this many frames/s")] = 30.0,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: its default)")] = 0,
    track: Annotated[bool, typer.Option("--track/--no-track")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
) -> None:
    """Streams batched into one model: frames/s in all and per stream, the model call per batch, how busy each
    thread kind was (the busiest is the bottleneck) and how many streams get CAMERA_FPS each.

    Example (GPU box): edgesight bench streams -m models/traffic_vehicles.onnx --video 1080p.mp4 --streams 1,8,16,32
    --device torch
    """
    for path in (model, video):
        if not path.is_file():
            typer.secho(f"error: {path} not found", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
    counts = [int(n) for n in streams.split(",") if n.strip()]
    from .streams_bench import run_streams_bench

    report = run_streams_bench(model, video, streams=counts, frames=frames, device=device, threads=threads,
                               track=track, camera_fps=camera_fps)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
        return
    typer.echo(f"{report.video} on {report.device} (onnxruntime providers here: "
               f"{', '.join(report.onnxruntime_providers)})")
    typer.echo(f"{'streams':>8}{'frames/s':>10}{'per stream':>11}{'model ms/call':>14}  busy (share of the run)")
    for r in report.rows:
        busy = ", ".join(f"{k} {v:.0%}" for k, v in r.utilisation.items())
        typer.echo(f"{r.streams:>8}{r.fps:>10.1f}{r.fps_per_stream:>11.1f}{r.model_ms_per_call:>14.1f}  {busy}; "
                   f"bottleneck: {r.bottleneck}")
    typer.echo(f"streams sustained at {camera_fps:g} frames/s each: {report.sustained}")
