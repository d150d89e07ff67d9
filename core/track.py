"""Multi-object tracking: ByteTrack from the `trackers` library behind the one method the pipeline calls.

One tracker per camera; it sees that camera's detections in order and returns them with stable `tracker_id`s.
Detections the tracker has not confirmed yet (id -1) are dropped here, so every step downstream can rely on an id.
"""
from __future__ import annotations

import supervision as sv
from pydantic import BaseModel, ConfigDict, Field
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


class ObjectTracker:
    """`update(detections, timestamp) -> detections with tracker_id` for one camera."""

    def __init__(self, config: TrackerConfig | None = None, fps: float = 30.0) -> None:
        self.config = config or TrackerConfig()
        self._tracker = ByteTrackTracker(
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
