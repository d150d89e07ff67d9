"""The `edgesight` command. Each part contributes its own typer app; this file only assembles them and holds the
core commands (detect, export, train)."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..apps.demo import demo
from ..apps.inspection.cli import app as inspection_app
from ..apps.traffic.cli import app as traffic_app
from ..dashboards.bench import bench_dashboard
from ..dashboards.cli import dashboard
from .bench.cli import bench_motion, bench_overload, bench_pipeline, bench_streams
from .bus.cli import bench_bus
from .detect.cli import quantize
from .models import bundled_model
from .store.cli import ingest
from .termination import unwind_on_sigterm

app = typer.Typer(
    name="edgesight",
    help="EdgeSight: YOLO on ONNX Runtime next to the camera; tracked objects, measurements and events over MQTT.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
bench_app = typer.Typer(help="Benchmarks: figures to compare as ratios within one run.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(traffic_app, name="traffic", help="Traffic: counts, queues and adaptive signal control from cameras.")
app.add_typer(inspection_app, name="inspection", help="Inspection: defects on a conveyor, verdicts, rejects.")
app.command("ingest")(ingest)
app.command("demo")(demo)
app.command("dashboard")(dashboard)
app.command("quantize")(quantize)
bench_app.command("bus")(bench_bus)
bench_app.command("pipeline")(bench_pipeline)
bench_app.command("streams")(bench_streams)
bench_app.command("motion")(bench_motion)
bench_app.command("overload")(bench_overload)
bench_app.command("dashboard")(bench_dashboard)


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@app.callback()
def _setup(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log debug details")] = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verbose:  # libraries that narrate every state change at INFO
        for name in ("amqtt", "transitions", "alembic", "asyncio"):
            logging.getLogger(name).setLevel(logging.WARNING)


@app.command()
def detect(
    source: Annotated[list[str], typer.Option("--source", "-s", help="video file, image folder, rtsp://... URL or "
                                              "USB index; repeat for several cameras")],
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="ONNX detection model (any Ultralytics "
                                                  "YOLO export or YOLOX); default: the bundled vehicle model")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="write JSON lines here instead of stdout")] = None,
    save: Annotated[Optional[Path], typer.Option(help="write annotated video (boxes, classes, track ids)")] = None,
    show: Annotated[bool, typer.Option(help="show annotated frames in a window (q to quit)")] = False,
    conf: Annotated[float, typer.Option(help="confidence threshold")] = 0.25,
    iou: Annotated[float, typer.Option(help="NMS IoU threshold")] = 0.45,
    names: Annotated[Optional[Path], typer.Option(help="class names file (.txt or .yaml) for models without "
                                                  "metadata")] = None,
    classes: Annotated[Optional[str], typer.Option(help="comma-separated class names to keep, e.g. car,truck,bus")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or openvino")] = "auto",
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: all cores)")] = 0,
    batch: Annotated[int, typer.Option(help="frames per model call, gathered across sources")] = 1,
    pace: Annotated[bool, typer.Option("--pace/--no-pace", help="replay files at their frame rate, or as fast as "
                                       "possible")] = True,
    loop: Annotated[bool, typer.Option(help="replay files forever")] = False,
    track: Annotated[bool, typer.Option("--track/--no-track", help="ByteTrack ids across frames")] = True,
    max_frames: Annotated[Optional[int], typer.Option(help="stop each source after this many frames")] = None,
    motion: Annotated[bool, typer.Option(
        "--motion/--no-motion", help="motion gating: a frame that differs too little from the frames the held "
        "detections came from keeps them without running the model; when something moves in a small part of the "
        "frame the model runs on a crop around it (never smaller than the model input); the whole frame is "
        "detected at least every 2 s. Saves model calls on still scenes (an empty belt, a quiet road)")] = False,
    latency_budget_ms: Annotated[Optional[float], typer.Option(
        min=1, help="p99 capture-to-result budget for live cameras (rtsp://, http://, USB): the pipeline starts "
        "at one frame per model call and takes larger calls (up to --batch) while the p99 stays under half the "
        "budget; over it, it puts fewer frames in each call, then infers only every k-th frame; every step is "
        "printed at the end. Replayed files are never skipped")] = None,
    overload_input: Annotated[Optional[list[int]], typer.Option(
        help="with --latency-budget-ms: a smaller square model input (e.g. 320, a quarter of 640's work; small, far "
        "objects are lost first) that the pipeline switches to before it skips frames; repeat for several. Made "
        "from the model by moving its anchor grid (Ultralytics YOLOv8/v11 static exports)")] = None,
    metrics_port: Annotated[Optional[int], typer.Option(help="serve Prometheus /metrics on this port")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no JSON lines on stdout")] = False,
) -> None:
    """Detect and track objects in video; print one JSON line per frame and a latency summary at the end.

    Examples:\n
      edgesight detect -s traffic.mp4 --save out.mp4\n
      edgesight detect -s rtsp://10.0.0.7/stream1 -m yolov8n.onnx --classes car,truck,bus -o tracks.jsonl
    """
    from .detect import Detector, DetectorError
    from .metrics import LatencyRecorder, format_summary
    from .motion import MotionConfig
    from .pipeline import Pipeline
    from .sinks import AnnotatedVideoWriter, DisplayWindow, JsonLinesWriter
    from .sinks.progress import ProgressBar
    from .sources import SourceError, open_source

    wanted = [c.strip() for c in classes.split(",") if c.strip()] if classes else None
    if overload_input and not latency_budget_ms:
        raise fail("--overload-input is what the latency budget may switch to: give --latency-budget-ms too")
    try:
        detector = Detector(model or bundled_model("traffic_vehicles"), conf=conf, iou=iou, names=names,
                            classes=wanted, device=device, threads=threads)
    except (DetectorError, FileNotFoundError) as exc:
        raise fail(str(exc))

    sources = []
    try:
        for i, uri in enumerate(source):
            sources.append(open_source(uri, source_id=None if len(source) == 1 else f"cam{i}", pace=pace, loop=loop))
    except SourceError as exc:
        for s in sources:
            s.close()
        raise fail(str(exc))
    sizes = {tuple(s.size) if s.size is not None else None for s in sources}
    if len(sizes) == 1 and None not in sizes:  # cameras of one shape: no model work on letterbox padding
        detector = detector.fitted_to(*sizes.pop())
    typer.echo(f"model: {detector.describe()}", err=True)

    sinks = []
    if not quiet:
        sinks.append(JsonLinesWriter(out))
    if save:
        sinks.append(AnnotatedVideoWriter(save, fps=sources[0].fps or 25.0))
    pipeline_ref: list = []
    if show:
        sinks.append(DisplayWindow(on_quit=lambda: pipeline_ref[0].stop()))
    if out or quiet or save:
        sinks.append(ProgressBar(sources, max_frames))
    latency = LatencyRecorder()
    if metrics_port:
        latency.serve(metrics_port)
    try:
        pipeline = Pipeline(sources, detector, sinks, track=track, batch_size=batch, latency=latency,
                            max_frames=max_frames, motion=MotionConfig() if motion else None,
                            latency_budget=latency_budget_ms / 1000 if latency_budget_ms else None,
                            overload_inputs=overload_input or ())
    except DetectorError as exc:  # a model whose smaller-input copy cannot be made
        for closable in (*sources, *sinks):
            closable.close()
        raise fail(f"--overload-input: {exc}")
    pipeline_ref.append(pipeline)
    try:
        stats = pipeline.run()
    except KeyboardInterrupt:
        pipeline.stop()
        stats = pipeline.stats
    finally:
        for sink in sinks:
            sink.close()

    typer.echo("", err=True)
    typer.echo(f"{sum(stats.frames.values())} frames in {stats.seconds:.1f} s = {stats.fps:.1f} frames/s; "
               f"dropped {stats.dropped}", err=True)
    if motion:
        typer.echo(f"motion gate: frames answered without the model {stats.still}, model on a crop "
                   f"{stats.cropped}", err=True)
    if latency_budget_ms:
        typer.echo(f"latency budget p99 {latency_budget_ms:g} ms: live frames skipped {stats.skipped}", err=True)
        for step in stats.overload:
            typer.echo(f"  at {step.at_s:.1f} s (p99 {step.p99_ms:.0f} ms): {step.reason} -> {step.batch} frames per "
                       f"call, {'' if step.input_side is None else f'input {step.input_side}, '}1 in {step.stride} "
                       f"live frames inferred", err=True)
    typer.echo(format_summary(latency.summary()), err=True)
    if stats.errors:
        raise fail("; ".join(stats.errors))


@app.command()
def export(
    weights: Annotated[Path, typer.Argument(help="Ultralytics .pt weights")],
    imgsz: Annotated[int, typer.Option(help="input size")] = 640,
    dynamic: Annotated[bool, typer.Option(help="dynamic batch and image size")] = False,
    nms: Annotated[bool, typer.Option(help="put NMS in the graph ([N, 300, 6] output)")] = False,
    opset: Annotated[int, typer.Option(help="ONNX opset")] = 17,
) -> None:
    """Export Ultralytics .pt weights to ONNX for EdgeSight (needs the train extra, see README)."""
    import os

    os.environ.setdefault("YOLO_OFFLINE", "1")
    try:
        from ultralytics import YOLO
    except ImportError:
        raise fail("export needs ultralytics and torch: pip install 'edgesight[train]'")
    if not weights.is_file():
        raise fail(f"weights not found: {weights}")
    path = YOLO(str(weights)).export(format="onnx", imgsz=imgsz, dynamic=dynamic, nms=nms, opset=opset,
                                     simplify=False)
    typer.echo(path)


@app.command()
def train(
    app_name: Annotated[str, typer.Argument(metavar="APP", help="traffic or inspection")],
    out: Annotated[Path, typer.Option(help="work folder for the data set and runs")] = Path("runs/train"),
    device: Annotated[str, typer.Option(help="'0' for the first GPU, 'cpu' for the CPU")] = "0",
    epochs: Annotated[Optional[int], typer.Option(help="override the recipe's epochs")] = None,
    install: Annotated[bool, typer.Option(help="copy the result into models/ and update models/README.md")] = True,
) -> None:
    """Render a labelled set, train YOLO, export ONNX, evaluate on held-out renders, and install the model
    (needs the `train` extra)."""
    from .training import train as training
    from .training.model_card import install_model

    if app_name not in training.RECIPES:
        raise fail(f"unknown app '{app_name}'; choose one of {', '.join(training.RECIPES)}")
    args = [app_name, "--out", str(out / app_name), "--device", device]
    if epochs:
        args += ["--epochs", str(epochs)]
    code = training.main(args)
    if code == 0 and install:
        recipe = training.RECIPES[app_name]
        install_model(out / app_name / f"{recipe.model_name}.onnx", out / app_name / f"{recipe.model_name}.json")
    raise typer.Exit(code)


def main() -> None:
    unwind_on_sigterm()
    app()


if __name__ == "__main__":
    main()
