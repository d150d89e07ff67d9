"""`edgesight bench overload`: live cameras delivering faster than the box infers, without a p99 latency budget,
with one, and with one that may also switch to a smaller model input; what the pipeline dropped, skipped and
changed to hold it."""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..detect import Detector, DetectorError
from ..frame import Frame
from ..overload import OverloadStep
from ..pipeline import Pipeline
from .live_replay import LiveReplay


class LatencyLog:
    """A sink keeping every frame's capture-to-emit latency."""

    def __init__(self) -> None:
        self.latencies: list[float] = []

    def emit(self, frame: Frame, detections) -> None:
        self.latencies.append(frame.stamps["tracked"] - frame.stamps["capture"])


@dataclass
class OverloadRun:
    budget_ms: float | None
    smaller_inputs: list[int]  # the smaller model inputs the governor could switch to
    offered_fps: float  # what the cameras delivered, all together
    processed_fps: float
    p50_ms: float
    p99_ms: float
    dropped: int  # stale frames replaced by newer ones
    skipped: int  # frames the governor left out
    steps: list[OverloadStep] = field(default_factory=list)


@dataclass
class OverloadReport:
    video: str
    cameras: int
    seconds: float
    runs: list[OverloadRun]
    no_smaller_input: str | None = None  # why there is no run with smaller inputs, when there is none

    def as_dict(self) -> dict:
        return asdict(self)


def run_once(detector: Detector, video: Path, cameras: int, seconds: float, budget_s: float | None,
             smaller_inputs: list[int]) -> OverloadRun:
    sources = [LiveReplay(video, f"cam{i}") for i in range(cameras)]
    log = LatencyLog()
    pipeline = Pipeline(sources, detector, [log], batch_size=cameras, latency_budget=budget_s,
                        overload_inputs=smaller_inputs)
    timer = threading.Timer(seconds, pipeline.stop)
    timer.start()
    stats = pipeline.run()
    timer.cancel()
    lat = np.asarray(log.latencies) * 1000 if log.latencies else np.zeros(1)
    processed = sum(stats.frames.values())
    offered = processed + sum(stats.dropped.values()) + sum(stats.skipped.values())
    return OverloadRun(budget_ms=None if budget_s is None else budget_s * 1000, smaller_inputs=smaller_inputs,
                       offered_fps=round(offered / stats.seconds, 2), processed_fps=round(stats.fps, 2),
                       p50_ms=round(float(np.percentile(lat, 50)), 1), p99_ms=round(float(np.percentile(lat, 99)), 1),
                       dropped=sum(stats.dropped.values()), skipped=sum(stats.skipped.values()), steps=stats.overload)


def run_overload_bench(model: Path, video: Path, *, cameras: int, seconds: float, budget_ms: float,
                       smaller_inputs: list[int] = (), threads: int = 0) -> OverloadReport:
    """Runs without a budget, with it, and (given `smaller_inputs`) with it and those inputs to fall back to."""
    detector = Detector(model, threads=threads)
    runs = [run_once(detector, video, cameras, seconds, budget, []) for budget in (None, budget_ms / 1000)]
    report = OverloadReport(video=str(video), cameras=cameras, seconds=seconds, runs=runs,
                            no_smaller_input=None if smaller_inputs else "none asked for")
    if smaller_inputs:
        try:
            runs.append(run_once(detector, video, cameras, seconds, budget_ms / 1000, list(smaller_inputs)))
        except DetectorError as exc:  # a model whose anchor grid cannot be moved to another input size
            report.no_smaller_input = str(exc)
    return report
