"""What one measured pass of one variant yields, reduced to the figures the table prints."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Pass:
    """One pass: how many frames came out over how many seconds, and each frame's latency in seconds."""
    frames: int
    seconds: float
    latencies: tuple[float, ...]

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def ms_per_frame(self) -> float:
        return 1000.0 / self.fps if self.fps > 0 else float("inf")

    def latency_ms(self, percentile: float) -> float:
        return float(np.percentile(self.latencies, percentile)) * 1000.0 if self.latencies else float("nan")

    @staticmethod
    def from_stamps(stamps: list[float], latencies: list[float]) -> Pass:
        """Frames/s from the times results came out: the first result only starts the clock, so opening the
        video and warming up are not counted (nor is the first result's latency)."""
        return Pass.merged([(stamps, latencies)])

    @staticmethod
    def merged(runs: list[tuple[list[float], list[float]]]) -> Pass:
        """Several concurrent runs as one: each run's first result starts its clock; frames/s over the span from
        the earliest start to the latest result."""
        runs = [(stamps, latencies) for stamps, latencies in runs if len(stamps) > 1]
        if not runs:
            return Pass(frames=0, seconds=0.0, latencies=())
        frames = sum(len(stamps) - 1 for stamps, _ in runs)
        seconds = max(stamps[-1] for stamps, _ in runs) - min(stamps[0] for stamps, _ in runs)
        return Pass(frames=frames, seconds=seconds, latencies=tuple(v for _, lats in runs for v in lats[1:]))
