"""VerdictAggregator: one verdict per part from all the frames it was seen in.

A defect class is confirmed on a part when at least `min_frames` of its frames show that class at or above the
class's confidence threshold (capped at the number of frames the part was seen in, so a part glimpsed twice can
still fail). Any confirmed class rejects the part; the verdict names the worst one by the configured severity."""
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
    frames: int  # frames at or above the class threshold
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
            hits = [d for d in track.defects if d.defect_class == name and d.confidence >= threshold.confidence]
            if len({d.frame_seq for d in hits}) < min(threshold.min_frames, seen):
                continue
            best = max(hits, key=lambda d: d.confidence)
            crop = track.best_crops.get(name)
            confirmed.append(ConfirmedDefect(name, best.confidence, len({d.frame_seq for d in hits}), best.xyxy,
                                             best.frame_seq, crop[1] if crop else None))
        rank = {c: i for i, c in enumerate(self.config.severity)}
        confirmed.sort(key=lambda d: (rank[d.defect_class], -d.confidence))
        ref = self._reference(track.sightings)
        centre_px = float(ref.xyxy[0] + ref.xyxy[2]) / 2
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
    def _reference(sightings: list[PartSighting]) -> PartSighting:
        """The latest sighting whose box is not cut by the frame edge (its centre is the part's); else the latest."""
        whole = [s for s in sightings if not s.clipped]
        return whole[-1] if whole else sightings[-1]
