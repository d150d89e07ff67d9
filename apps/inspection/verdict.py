"""VerdictAggregator: one verdict per part from all the frames it was seen in.

A defect class is confirmed on a part when at least `min_frames` of its frames show that class at or above the
class's confidence threshold (capped at the number of frames the part was seen in, so a part glimpsed twice can
still fail), or when `repeat_frames` of its frames show it at or above the lower `repeat_confidence`. Any confirmed
class rejects the part; the verdict names the worst one by the configured severity, with that defect's highest
confidence over the part's frames."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .config import CameraCalibration, VerdictConfig
from .part_tracker import PartSighting, PartTrack


@dataclass(frozen=True, slots=True)
class ConfirmedDefect:
    defect_class: str
    confidence: float  # highest over the part's frames
    frames: int  # frames that count as evidence (at or above the class's lowest threshold)
    xyxy: np.ndarray  # box of the most confident sighting, frame pixels
    frame_seq: int
    crop: np.ndarray | None  # BGR crop of that sighting


@dataclass(frozen=True, slots=True)
class PartResult:
    part_id: str
    verdict: Literal["pass", "reject"]
    defects: tuple[ConfirmedDefect, ...]
    worst_class: str | None
    worst_confidence: float
    frames_seen: int
    # The reference sighting the reject controller times from: the part's centre was at belt_position_mm
    # (downstream of the camera axis) at wall-clock time capture_wall.
    capture_wall: float
    belt_position_mm: float
    last_capture: float  # monotonic time of the part's last frame (latency is measured from here)


class VerdictAggregator:
    def __init__(self, config: VerdictConfig, camera: CameraCalibration, line_id: str, run_id: str | None = None) -> None:
        self.config = config
        self.camera = camera
        # Track numbers restart with the process; the run id keeps part ids unique across restarts, which the
        # reject controller relies on to tell a redelivered verdict from a new part.
        self.part_prefix = f"{line_id}-{run_id or format(time.time_ns() // 1_000_000, 'x')}"

    def judge(self, track: PartTrack) -> PartResult:
        seen = len({s.frame_seq for s in track.sightings})
        confirmed = []
        for name, threshold in self.config.classes.items():
            hits = [d for d in track.defects if d.defect_class == name and d.confidence >= threshold.lowest]
            strong = {d.frame_seq for d in hits if d.confidence >= threshold.confidence}
            repeated = {d.frame_seq for d in hits}
            if len(strong) < min(threshold.min_frames, seen) and (
                    threshold.repeat_confidence is None or len(repeated) < threshold.repeat_frames):
                continue
            best = max(hits, key=lambda d: d.confidence)
            crop = track.best_crops.get(name)
            confirmed.append(ConfirmedDefect(name, best.confidence, len(repeated), best.xyxy, best.frame_seq,
                                             crop[1] if crop else None))
        rank = {c: i for i, c in enumerate(self.config.severity)}
        confirmed.sort(key=lambda d: (rank[d.defect_class], -d.confidence))
        ref, centre_px = self._reference(track.sightings)
        return PartResult(
            part_id=f"{self.part_prefix}-{track.track_id}",
            verdict="reject" if confirmed else "pass",
            defects=tuple(confirmed),
            worst_class=confirmed[0].defect_class if confirmed else None,
            worst_confidence=confirmed[0].confidence if confirmed else 0.0,
            frames_seen=seen,
            capture_wall=ref.wall_capture,
            belt_position_mm=self.camera.belt_mm(centre_px),
            last_capture=track.sightings[-1].t_capture,
        )

    @staticmethod
    def _reference(sightings: list[PartSighting]) -> tuple[PartSighting, float]:
        """The sighting to time the reject from, and the part's centre (image x) in it. A whole view gives the
        centre directly; otherwise the part's length is the longest box seen and the centre is half of it from
        the end that was in view (the downstream end if the sighting shows it)."""
        whole = [s for s in sightings if s.whole]
        if whole:
            return whole[-1], float(whole[-1].xyxy[0] + whole[-1].xyxy[2]) / 2
        length = max(float(s.xyxy[2] - s.xyxy[0]) for s in sightings)
        leading = [s for s in sightings if not s.cut_downstream]
        if leading:
            return leading[-1], float(leading[-1].xyxy[2]) - length / 2
        return sightings[-1], float(sightings[-1].xyxy[0]) + length / 2
