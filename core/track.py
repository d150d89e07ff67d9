"""Multi-object tracking: ByteTrack from the `trackers` library behind the one method the pipeline calls.

One tracker per camera; it sees that camera's detections in order and returns them with stable `tracker_id`s.
Detections the tracker has not confirmed yet (id -1) are dropped here, so every step downstream can rely on an id.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import linear_sum_assignment
from trackers import ByteTrackTracker
from trackers.utils.iou import BIoU


class TrackerConfig(BaseModel):
    """ByteTrack settings; each app tunes them in its section of the site config."""
    model_config = ConfigDict(extra="forbid")

    lost_track_seconds: float = Field(1.0, gt=0, description="keep a lost track this long before ending it")
    activation_confidence: float = Field(0.5, ge=0, le=1, description="a new track needs a detection this sure")
    high_confidence: float = Field(0.6, ge=0, le=1, description="first-stage association threshold")
    minimum_iou: float = Field(0.1, ge=0, le=1, description="lowest IoU that still matches a track")
    confirm_frames: int = Field(2, ge=1, description="frames in a row before a track gets an id")
    iou_buffer: float = Field(0.0, ge=0, description="grow each box by this share of its size on every side "
                              "before matching (buffered IoU): a small, fast object at a low frame rate moves "
                              "more than its own size between frames, and plain IoU never matches it")
    new_track_reach: float = Field(2.0, ge=0, description="a detection no track matched continues a track born "
                                   "the frame before (and matched by nothing since) whose box centre lies within "
                                   "this many box sizes of its own: a new track has no speed yet, so a small, fast "
                                   "object that moves more than its size before its second sighting never "
                                   "confirms one by IoU. Only unmatched detections and unconfirmed tracks take "
                                   "part, so established tracks are matched exactly as without it; 0 turns it off")


class _ByteTrackWithNewTrackReach(ByteTrackTracker):
    """ByteTrack, plus: before unmatched detections spawn new tracks, each may continue a track that was born on
    the previous frame and matched nothing on this one, by centre distance in box sizes (`reach`). It hooks the
    library's spawning step, the one place where both the unmatched detections and the unmatched newborn tracks
    are known; `tests/test_track_rendered_clip.py` fails if a `trackers` release moves that hook."""

    tracker_id = None  # stays out of `trackers`' registry of named trackers, where "bytetrack" is the original
    search_space: ClassVar[dict] = {}  # not offered to `trackers`' tuner
    MAX_AREA_RATIO = 2.0  # the two sightings of one object a frame apart differ in area by less than this

    def __init__(self, reach: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.reach = reach

    def _spawn_new_tracks(self, detection_boxes, confidences, unmatched_high_local, high_indices,
                          out_det_indices, out_tracker_ids) -> None:
        unmatched = list(unmatched_high_local)
        newborn = [t for t in self.tracks if t.tracker_id == -1 and t.time_since_update > 0
                   and t.number_of_successful_consecutive_updates >= 1]
        if self.reach > 0 and newborn and unmatched:
            boxes = detection_boxes[high_indices[unmatched]]
            linked = self._link(np.array([t.get_state_bbox() for t in newborn]), boxes)
            for row, col in linked:
                track, global_idx = newborn[row], int(high_indices[unmatched[col]])
                track.update(detection_boxes[global_idx])
                if track.number_of_successful_consecutive_updates >= self.minimum_consecutive_frames:
                    track.tracker_id = self._allocate_tracker_id()
                out_det_indices.append(global_idx)
                out_tracker_ids.append(track.tracker_id)
            taken = {col for _, col in linked}
            unmatched = [local for k, local in enumerate(unmatched) if k not in taken]
        super()._spawn_new_tracks(detection_boxes, confidences, unmatched, high_indices, out_det_indices,
                                  out_tracker_ids)

    def _link(self, tracks: np.ndarray, boxes: np.ndarray) -> list[tuple[int, int]]:
        """(track row, box column) pairs, nearest first, within `reach` box sizes and a plausible size change."""
        def centres(b):
            return (b[:, :2] + b[:, 2:]) / 2

        def areas(b):
            return np.maximum(b[:, 2] - b[:, 0], 1e-6) * np.maximum(b[:, 3] - b[:, 1], 1e-6)

        size = np.maximum(tracks[:, 2] - tracks[:, 0], tracks[:, 3] - tracks[:, 1])[:, None]
        distance = np.linalg.norm(centres(tracks)[:, None] - centres(boxes)[None], axis=2) / np.maximum(size, 1e-6)
        ratio = areas(tracks)[:, None] / areas(boxes)[None]
        allowed = (distance <= self.reach) & (ratio <= self.MAX_AREA_RATIO) & (ratio >= 1 / self.MAX_AREA_RATIO)
        cost = np.where(allowed, distance, 1e6)
        rows, cols = linear_sum_assignment(cost)
        return [(int(r), int(c)) for r, c in zip(rows, cols) if allowed[r, c]]


class ObjectTracker:
    """`update(detections, timestamp) -> detections with tracker_id` for one camera."""

    def __init__(self, config: TrackerConfig | None = None, fps: float = 30.0) -> None:
        self.config = config or TrackerConfig()
        self._tracker = _ByteTrackWithNewTrackReach(
            self.config.new_track_reach,
            lost_track_buffer=max(1, int(round(self.config.lost_track_seconds * fps))),
            frame_rate=fps,
            track_activation_threshold=self.config.activation_confidence,
            minimum_consecutive_frames=self.config.confirm_frames,
            minimum_iou_threshold=self.config.minimum_iou,
            high_conf_det_threshold=self.config.high_confidence,
            iou=BIoU(self.config.iou_buffer),
        )

    def update(self, detections: sv.Detections) -> sv.Detections:
        # Fixed-rate mode: trackers 2.6's timestamp mode re-creates tracks every frame (never confirms one).
        tracked = self._tracker.update(detections)
        return tracked[tracked.tracker_id >= 0] if len(tracked) else tracked
