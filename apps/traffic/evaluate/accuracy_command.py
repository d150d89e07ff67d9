"""`edgesight traffic accuracy`: recorded clips through the detector and the site measurement, scored against
the clips' SUMO ground truth (counts per approach, queue mean absolute error)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer

from edgesight.core.detect import Detector, DetectorError
from edgesight.core.frame import Frame
from edgesight.core.models import bundled_model
from edgesight.core.pipeline import Pipeline
from edgesight.core.sources import open_source

from edgesight.apps.traffic.evaluate.accuracy import AccuracyReport, measured_from, score_clip
from edgesight.apps.traffic.measure.line_counter import LineCrossing
from edgesight.apps.traffic.measure.site import SiteConfig
from edgesight.apps.traffic.measure.site_measurement import IntervalReport, SiteMeasurement
from edgesight.apps.traffic.measure.sink import CameraMeasurement, TrafficSink
from edgesight.apps.traffic.measure.vehicle_classes import VehicleClassFilter
from edgesight.apps.traffic.sim.camera_recorder import read_truth
from edgesight.apps.traffic.sim.record_command import ClipFiles

QUEUE_SAMPLE_S = 1.0


@dataclass
class ClipMeasurement:
    config: SiteConfig
    crossings: list[LineCrossing]
    reports: dict[int, IntervalReport]  # frame seq -> the report made at that frame
    seconds: float


def measure_clip(files: ClipFiles, detector: Detector) -> ClipMeasurement:
    """Replay the clip as fast as it goes through the pipeline and the site measurement (a report a second)."""
    config = SiteConfig.load(files.site)
    video = open_source(str(files.video), source_id=files.name, pace=False)
    crossings: list[LineCrossing] = []
    reports: dict[int, IntervalReport] = {}

    def on_report(frame: Frame, report: IntervalReport) -> None:
        reports[frame.seq] = report

    camera = CameraMeasurement(SiteMeasurement(config, detector.names), VehicleClassFilter(detector.names),
                               fps=video.fps or 5.0)
    sink = TrafficSink({files.name: camera}, QUEUE_SAMPLE_S, on_crossing=lambda frame, c: crossings.append(c),
                       on_report=on_report)
    stats = Pipeline([video], detector.fitted_to(*config.image_size), [sink], track=False).run()
    if stats.errors:
        raise RuntimeError(f"clip {files.video}: {'; '.join(stats.errors)}")
    return ClipMeasurement(config, crossings, reports, stats.frames[files.name] / (video.fps or 5.0))


def clip_accuracy(files: ClipFiles, detector: Detector) -> AccuracyReport:
    measured = measure_clip(files, detector)
    counts, queues = measured_from(measured.crossings, measured.reports)
    rows, errors = score_clip(measured.config, read_truth(files.truth), counts, queues)
    return AccuracyReport(measured.seconds, rows, errors)


def accuracy_command(
    clips: Annotated[Path, typer.Option("--clips", help="folder written by `edgesight traffic record`")],
    camera: Annotated[Optional[list[str]], typer.Option(help="camera(s) in the folder to score; default: all")] = None,
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="ONNX detector; default: the bundled "
                                                  "vehicle model")] = None,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: all cores)")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print the reports as JSON")] = False,
) -> None:
    """Count error per approach and queue-length MAE of the camera measurement on recorded clips."""
    names = camera or sorted(p.name.removesuffix(".site.yaml") for p in clips.glob("*.site.yaml"))
    if not names:
        raise typer.BadParameter(f"{clips}: no <camera>.site.yaml there; record clips with `edgesight traffic record`")
    try:
        detector = Detector(model or bundled_model("traffic_vehicles"), threads=threads)
    except (DetectorError, FileNotFoundError) as exc:
        raise typer.BadParameter(str(exc)) from None
    reports = {}
    for name in names:
        files = ClipFiles(clips, name)
        if not (files.video.is_file() and files.truth.is_file() and files.site.is_file()):
            raise typer.BadParameter(f"{clips}: {name}.mp4, {name}.truth.jsonl and {name}.site.yaml must all be there")
        reports[name] = clip_accuracy(files, detector)
    if as_json:
        typer.echo(json.dumps({name: r.as_json() for name, r in reports.items()}, indent=1))
        return
    for name, report in reports.items():
        typer.echo(f"{name}\n{report.as_text()}\n")
