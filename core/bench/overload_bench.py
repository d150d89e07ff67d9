"""`edgesight bench overload`: live cameras delivering faster than the box infers, without and with a p99
latency budget; what the pipeline dropped, skipped and changed to hold it."""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..detect import Detector
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

    def as_dict(self) -> dict:
        return asdict(self)


def run_once(detector: Detector, video: Path, cameras: int, seconds: float, budget_s: float | None) -> OverloadRun:
    sources = [LiveReplay(video, f"cam{i}") for i in range(cameras)]
    log = LatencyLog()
    pipeline = Pipeline(sources, detector, [log], batch_size=cameras, latency_budget=budget_s)
    timer = threading.Timer(seconds, pipeline.stop)
    timer.start()
    stats = pipeline.run()
    timer.cancel()
    lat = np.asarray(log.latencies) * 1000 if log.latencies else np.zeros(1)
    processed = sum(stats.frames.values())
    offered = processed + sum(stats.dropped.values()) + sum(stats.skipped.values())
    return OverloadRun(budget_ms=None if budget_s is None else budget_s * 1000,
                       offered_fps=round(offered / stats.seconds, 2), processed_fps=round(stats.fps, 2),
                       p50_ms=round(float(np.percentile(lat, 50)), 1), p99_ms=round(float(np.percentile(lat, 99)), 1),
                       dropped=sum(stats.dropped.values()), skipped=sum(stats.skipped.values()), steps=stats.overload)


def run_overload_bench(model: Path, video: Path, *, cameras: int, seconds: float, budget_ms: float,
                       threads: int = 0) -> OverloadReport:
    detector = Detector(model, threads=threads)
    runs = [run_once(detector, video, cameras, seconds, budget) for budget in (None, budget_ms / 1000)]
    return OverloadReport(video=str(video), cameras=cameras, seconds=seconds, runs=runs)
