"""`edgesight bench motion`: frames/s with and without the motion gate on one clip, and what the gate missed.

Four variants see the same frames unpaced: no gate (the reference), the gate deciding only whether the model runs
on the whole frame, the gate also choosing a crop around what moved, and small crops detected by a 320x320 copy of
the model. A detection of the reference is missed when a gated run has no detection of the same class on that
frame overlapping it (IoU >= 0.5).
"""
from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import supervision as sv

from ..detect import Detector
from ..frame import Frame
from ..motion import MotionConfig
from ..pipeline import Pipeline
from ..sources import open_source

MATCH_IOU = 0.5


class DetectionLog:
    """A sink keeping each frame's emitted detections by sequence number."""

    def __init__(self) -> None:
        self.by_seq: dict[int, sv.Detections] = {}

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        self.by_seq[frame.seq] = detections


# The variants, in the order they are reported: the reference, the gate alone, the gate choosing crops, and small
# crops detected by a 320x320 copy of the model (a model whose input cannot be changed fails this variant loudly).
VARIANTS: dict[str, MotionConfig | None] = {
    "ungated": None,
    "gate, whole frame": MotionConfig(regions=False),
    "gate + regions": MotionConfig(regions=True),
    "gate + 320 crops": MotionConfig(regions=True, crop_input=320),
}


@dataclass
class MotionVariant:
    name: str
    fps: float  # median over rounds
    speedup: float  # median of per-round ratios to the ungated run
    still_frames: int  # frames answered without the model (last round)
    cropped_frames: int  # frames the model saw only a crop of (last round)
    missed_detections: int  # detections of the ungated run it has no match for (last round)
    extra_detections: int  # its detections the ungated run has no match for: what a crop's resolution adds
    tracks: int


@dataclass
class MotionBenchReport:
    video: str
    frames: int
    reference_detections: int
    variants: list[MotionVariant]

    def as_dict(self) -> dict:
        return asdict(self)


def missed(reference: sv.Detections, gated: sv.Detections) -> int:
    if len(reference) == 0:
        return 0
    if len(gated) == 0:
        return len(reference)
    iou = sv.box_iou_batch(reference.xyxy, gated.xyxy)
    same_class = reference.class_id[:, None] == gated.class_id[None, :]
    return int((~((iou >= MATCH_IOU) & same_class).any(axis=1)).sum())


@dataclass
class _Run:
    log: DetectionLog
    fps: float
    still: int
    cropped: int


def _run(detector: Detector, video: Path, motion: MotionConfig | None) -> _Run:
    log = DetectionLog()
    stats = Pipeline([open_source(str(video), source_id="cam", pace=False)], detector, [log], motion=motion).run()
    return _Run(log, stats.fps, stats.still["cam"], stats.cropped["cam"])


def _tracks(log: DetectionLog) -> int:
    ids = [d.tracker_id for d in log.by_seq.values() if len(d)]
    return len(np.unique(np.concatenate(ids))) if ids else 0


def run_motion_bench(model: Path, video: Path, *, rounds: int = 3, threads: int = 0) -> MotionBenchReport:
    detector = Detector(model, threads=threads)
    names = list(VARIANTS)
    fps: dict[str, list[float]] = {n: [] for n in names}
    last: dict[str, _Run] = {}
    for round_no in range(rounds):
        shift = round_no % len(names)  # rotate the order so a drifting machine load favours no variant
        for name in names[shift:] + names[:shift]:
            last[name] = _run(detector, video, VARIANTS[name])
            fps[name].append(last[name].fps)
    reference = last["ungated"].log
    return MotionBenchReport(
        video=str(video), frames=len(reference.by_seq),
        reference_detections=sum(len(d) for d in reference.by_seq.values()),
        variants=[MotionVariant(
            name=n, fps=round(statistics.median(fps[n]), 2),
            speedup=round(statistics.median(v / u for v, u in zip(fps[n], fps["ungated"])), 3),
            still_frames=last[n].still, cropped_frames=last[n].cropped,
            missed_detections=sum(missed(d, last[n].log.by_seq[seq]) for seq, d in reference.by_seq.items()),
            extra_detections=sum(missed(last[n].log.by_seq[seq], d) for seq, d in reference.by_seq.items()),
            tracks=_tracks(last[n].log)) for n in names])
