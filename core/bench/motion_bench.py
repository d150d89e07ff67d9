"""`edgesight bench motion`: frames/s with and without the motion gate on one clip, and what the gate missed.

Both runs see the same frames unpaced; the ungated run is the reference. A detection of the reference is missed
when the gated run has no detection of the same class on that frame overlapping it (IoU >= 0.5).
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


@dataclass
class MotionBenchReport:
    video: str
    frames: int
    fps_ungated: float  # medians over rounds
    fps_gated: float
    speedup: float  # median of per-round ratios
    still_frames: int  # frames the gate answered without the model (last round)
    reference_detections: int
    missed_detections: int
    tracks_ungated: int
    tracks_gated: int

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


def _run(detector: Detector, video: Path, motion: MotionConfig | None) -> tuple[DetectionLog, float, int]:
    log = DetectionLog()
    stats = Pipeline([open_source(str(video), source_id="cam", pace=False)], detector, [log], motion=motion).run()
    return log, stats.fps, stats.still["cam"]


def _tracks(log: DetectionLog) -> int:
    ids = [d.tracker_id for d in log.by_seq.values() if len(d)]
    return len(np.unique(np.concatenate(ids))) if ids else 0


def run_motion_bench(model: Path, video: Path, *, rounds: int = 3, threads: int = 0,
                     motion: MotionConfig | None = None) -> MotionBenchReport:
    detector = Detector(model, threads=threads)
    fps: dict[bool, list[float]] = {False: [], True: []}
    for round_no in range(rounds):
        for gated in ((False, True) if round_no % 2 == 0 else (True, False)):
            log, rate, still = _run(detector, video, (motion or MotionConfig()) if gated else None)
            fps[gated].append(rate)
            if gated:
                gated_log, still_frames = log, still
            else:
                reference_log = log
    return MotionBenchReport(
        video=str(video), frames=len(reference_log.by_seq),
        fps_ungated=round(statistics.median(fps[False]), 2), fps_gated=round(statistics.median(fps[True]), 2),
        speedup=round(statistics.median(g / u for g, u in zip(fps[True], fps[False])), 3),
        still_frames=still_frames,
        reference_detections=sum(len(d) for d in reference_log.by_seq.values()),
        missed_detections=sum(missed(d, gated_log.by_seq[seq]) for seq, d in reference_log.by_seq.items()),
        tracks_ungated=_tracks(reference_log), tracks_gated=_tracks(gated_log))
