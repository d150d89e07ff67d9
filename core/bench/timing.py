"""What one measured pass of one variant yields, reduced to the figures the table prints."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Stamped:
    """A run as measured: when each result came out, each result's latency, and the CPU time the run used
    (all threads of its process). CPU per frame is what a variant costs a box regardless of what else runs on
    it, where wall-clock figures on a shared machine also depend on how many threads compete for its cores."""
    stamps: list[float]
    latencies: list[float]
    cpu_seconds: float


@dataclass(frozen=True)
class Pass:
    """One pass: how many frames came out over how many seconds, each frame's latency in seconds, and the CPU
    seconds spent."""
    frames: int
    seconds: float
    latencies: tuple[float, ...]
    cpu_seconds: float = 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def ms_per_frame(self) -> float:
        return 1000.0 / self.fps if self.fps > 0 else float("inf")

    @property
    def cpu_ms_per_frame(self) -> float:
        return 1000.0 * self.cpu_seconds / self.frames if self.frames else float("inf")

    def latency_ms(self, percentile: float) -> float:
        return float(np.percentile(self.latencies, percentile)) * 1000.0 if self.latencies else float("nan")

    @staticmethod
    def merged(runs: list[Stamped]) -> Pass:
        """One or more concurrent runs as one pass: each run's first result only starts its clock, so opening the
        video and warming up are not counted (nor is the first result's latency); frames/s over the span from
        the earliest start to the latest result."""
        runs = [run for run in runs if len(run.stamps) > 1]
        if not runs:
            return Pass(frames=0, seconds=0.0, latencies=())
        frames = sum(len(run.stamps) - 1 for run in runs)
        seconds = max(run.stamps[-1] for run in runs) - min(run.stamps[0] for run in runs)
        return Pass(frames=frames, seconds=seconds, latencies=tuple(v for run in runs for v in run.latencies[1:]),
                    cpu_seconds=sum(run.cpu_seconds for run in runs))
