"""Two model files on the same frames: bare `session.run` time in interleaved rounds, and held-out mAP50."""
from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from ..detect import Detector
from .floor import FloorVariant, first_frames
from .held_out_map import load_split, map50


@dataclass
class ModelComparison:
    reference: str
    candidate: str
    reference_ms: float  # median session.run per frame
    candidate_ms: float
    speedup: float  # median over rounds of reference time / candidate time
    reference_map50: float | None = None
    candidate_map50: float | None = None

    @property
    def map50_change_points(self) -> float | None:
        if self.reference_map50 is None or self.candidate_map50 is None:
            return None
        return round((self.candidate_map50 - self.reference_map50) * 100, 2)

    def as_dict(self) -> dict:
        return {**asdict(self), "map50_change_points": self.map50_change_points}


def compare_models(reference: Path, candidate: Path, video: Path, *, frames: int = 20, rounds: int = 5,
                   threads: int = 0, eval_data: Path | None = None) -> ModelComparison:
    images = first_frames(video, frames).images
    variants = [FloorVariant(Detector(path, threads=threads), images) for path in (reference, candidate)]
    passes: list[list] = [[], []]
    for round_no in range(rounds):
        order = (0, 1) if round_no % 2 == 0 else (1, 0)
        for i in order:
            passes[i].append(variants[i].run(frames))
    result = ModelComparison(
        reference=str(reference), candidate=str(candidate),
        reference_ms=round(statistics.median(p.ms_per_frame for p in passes[0]), 2),
        candidate_ms=round(statistics.median(p.ms_per_frame for p in passes[1]), 2),
        speedup=round(statistics.median(a.ms_per_frame / b.ms_per_frame for a, b in zip(*passes)), 3))
    if eval_data is not None:
        dataset = load_split(eval_data)
        result.reference_map50 = round(map50(reference, dataset), 4)
        result.candidate_map50 = round(map50(candidate, dataset), 4)
    return result
