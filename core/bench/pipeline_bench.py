"""`edgesight bench pipeline`: the floor, Ultralytics and EdgeSight on one video and model, in one process.

The machine drifts (other work, clocks), so the variants run in interleaved rounds, the order rotating each
round, and every ratio is the median of the per-round ratios; absolute figures are the medians over rounds.
"""
from __future__ import annotations

import platform
import statistics
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import onnxruntime as ort

from ..detect import Detector
from ..detect.dynamic_batch import make_batch_dynamic
from .edgesight_variant import EdgeSightVariant
from .floor import FloorVariant, first_frames
from .independent import IndependentPipelines
from .timing import Pass
from .ultralytics_variant import UltralyticsVariant


class Variant(Protocol):
    name: str

    def run(self, frames: int) -> Pass: ...


@dataclass(frozen=True)
class BenchSettings:
    model: Path
    video: Path
    streams: int = 1
    frames: int = 60  # per stream and pass
    rounds: int = 3
    track: bool = True
    threads: int = 0  # ONNX Runtime intra-op threads (and torch's, for Ultralytics); 0: ONNX Runtime's default
    conf: float = 0.25
    iou: float = 0.45
    ultralytics: bool = True


@dataclass
class Row:
    name: str
    fps: float
    ms_per_frame: float
    p50_ms: float
    p99_ms: float
    cost_x_floor: float  # per-frame cost (1/frames/s) over the floor's, median of per-round ratios
    p50_x_floor: float
    p99_x_floor: float
    cpu_ms_per_frame: float  # CPU time of all the variant's threads (and processes) per frame
    cpu_x_floor: float


@dataclass
class BenchReport:
    settings: dict
    machine: dict
    media: dict  # the video's codec, size and decode cost (floor.Clip)
    rows: list[Row]
    ratios: dict[str, float] = field(default_factory=dict)  # named comparisons, medians of per-round ratios
    skipped: dict[str, str] = field(default_factory=dict)  # variant -> why it did not run

    def as_dict(self) -> dict:
        return asdict(self)


def _median_ratio(passes_a: list[Pass], passes_b: list[Pass], figure) -> float:
    return round(statistics.median(figure(a) / figure(b) for a, b in zip(passes_a, passes_b)), 3)


def _row(name: str, passes: list[Pass], floor: list[Pass]) -> Row:
    pooled = Pass(frames=sum(p.frames for p in passes), seconds=sum(p.seconds for p in passes),
                  latencies=tuple(v for p in passes for v in p.latencies),
                  cpu_seconds=sum(p.cpu_seconds for p in passes))
    return Row(name=name, fps=round(statistics.median(p.fps for p in passes), 2),
               ms_per_frame=round(statistics.median(p.ms_per_frame for p in passes), 2),
               p50_ms=round(pooled.latency_ms(50), 2), p99_ms=round(pooled.latency_ms(99), 2),
               cost_x_floor=_median_ratio(passes, floor, lambda p: p.ms_per_frame),
               p50_x_floor=_median_ratio(passes, floor, lambda p: p.latency_ms(50)),
               p99_x_floor=_median_ratio(passes, floor, lambda p: p.latency_ms(99)),
               cpu_ms_per_frame=round(pooled.cpu_ms_per_frame, 2),
               cpu_x_floor=_median_ratio(passes, floor, lambda p: p.cpu_ms_per_frame))


def _machine(detector: Detector) -> dict:
    return {"cpu": platform.processor() or platform.machine(), "cores": cv2.getNumberOfCPUs(),
            "onnxruntime": ort.__version__, "provider": detector.providers[0]}


def run_pipeline_bench(settings: BenchSettings) -> BenchReport:
    with tempfile.TemporaryDirectory(prefix="edgesight-bench-") as workdir:
        return _run(settings, workdir)


def _run(settings: BenchSettings, workdir: str) -> BenchReport:
    detector = Detector(settings.model, conf=settings.conf, iou=settings.iou, threads=settings.threads)
    clip = first_frames(settings.video, settings.frames)
    variants: list[Variant] = [FloorVariant(detector, clip.images)]
    skipped: dict[str, str] = {}
    if settings.ultralytics:
        loaded = UltralyticsVariant.load(settings.model, settings.video, track=settings.track, conf=settings.conf,
                                         iou=settings.iou, threads=settings.threads)
        if isinstance(loaded, str):
            skipped["ultralytics"] = loaded
        else:
            variants.append(loaded)
    else:
        skipped["ultralytics"] = "left out (--no-ultralytics)"
    variants.append(EdgeSightVariant(detector, settings.video, track=settings.track))
    # What `edgesight detect` runs on this video: the model's input fitted to its frames. Its own row, beside the
    # one above, because it is another graph than the floor's: what it saves is inside the model, not around it.
    height, width = clip.images[0].shape[:2]
    fitted = detector.fitted_to(width, height)
    fitted_name = f"edgesight, input {fitted.input_hw[1]}x{fitted.input_hw[0]}" if fitted is not detector else None
    if fitted_name:
        variants.append(EdgeSightVariant(fitted, settings.video, track=settings.track, name=fitted_name))
    if settings.streams > 1:
        batched = detector
        if detector.batch_size == 1:  # one call per camera would be no batching at all
            batched = Detector(make_batch_dynamic(settings.model, Path(workdir) / f"{settings.model.stem}.batch.onnx"),
                               conf=settings.conf, iou=settings.iou, threads=settings.threads)
        variants.append(EdgeSightVariant(batched, settings.video, track=settings.track, streams=settings.streams))
        variants.append(IndependentPipelines(settings.model, settings.video, track=settings.track,
                                             streams=settings.streams, threads=settings.threads))

    passes: dict[str, list[Pass]] = {v.name: [] for v in variants}
    for round_no in range(settings.rounds):
        shift = round_no % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            passes[variant.name].append(variant.run(settings.frames))

    floor = passes[variants[0].name]
    rows = [_row(name, runs, floor) for name, runs in passes.items()]
    ratios = {}
    ultralytics = [v.name for v in variants if isinstance(v, UltralyticsVariant)]
    if ultralytics:
        ratios["edgesight_fps_x_ultralytics"] = _median_ratio(passes["edgesight pipeline"], passes[ultralytics[0]],
                                                               lambda p: p.fps)
        if fitted_name:
            ratios["fitted_fps_x_ultralytics"] = _median_ratio(passes[fitted_name], passes[ultralytics[0]],
                                                               lambda p: p.fps)
    if settings.streams > 1:
        batched, independent = passes[variants[-2].name], passes[variants[-1].name]
        ratios["batched_fps_x_independent"] = _median_ratio(batched, independent, lambda p: p.fps)
        ratios["batched_cpu_x_independent"] = _median_ratio(batched, independent, lambda p: p.cpu_ms_per_frame)
        ratios["batched_fps_x_one_stream"] = _median_ratio(batched, passes["edgesight pipeline"], lambda p: p.fps)
    return BenchReport(settings={k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()},
                       machine=_machine(detector), media=clip.describe(), rows=rows, ratios=ratios,
                       skipped=skipped)
