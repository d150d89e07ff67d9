"""PartTracker: follows each part across frames from entry to exit of the camera's view and collects the defect
evidence seen on it; a part is handed on, once, when it has left the view.

It associates part boxes itself rather than using the core ByteTrack step: parts only move downstream at the
known belt speed, so a prediction from the belt speed matches far more reliably than a generic motion model, and
defect boxes (often seen in a single frame) must not be dropped for lack of track confirmation. Run the pipeline
with `track=False` in front of it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import supervision as sv

from edgesight.core.frame import Frame

from .classes import DEFECT_CLASSES, PART_CLASS
from .config import TrackingConfig


@dataclass(frozen=True, slots=True)
class PartSighting:
    frame_seq: int
    t_capture: float  # monotonic
    wall_capture: float
    xyxy: np.ndarray
    confidence: float
    clipped: bool  # the box touches the frame edge, so its centre is not the part's centre


@dataclass(frozen=True, slots=True)
class DefectSighting:
    defect_class: str
    confidence: float
    xyxy: np.ndarray
    frame_seq: int


@dataclass(slots=True)
class PartTrack:
    track_id: int
    sightings: list[PartSighting] = field(default_factory=list)
    defects: list[DefectSighting] = field(default_factory=list)
    # Per class, the crop of its most confident sighting: the evidence an operator gets to see.
    best_crops: dict[str, tuple[float, np.ndarray]] = field(default_factory=dict)
    missed: int = 0

    def predict(self, t_capture: float, speed_px_s: float) -> np.ndarray:
        """Where the part's box will be at t_capture, moved downstream at belt speed."""
        last = self.sightings[-1]
        box = last.xyxy + np.array([1, 0, 1, 0], np.float32) * speed_px_s * (t_capture - last.t_capture)
        if last.xyxy[0] <= 1:
            box[0] = last.xyxy[0]  # cut by the entry edge: the part's real upstream end is still out of view
        return box


def _area(xyxy: np.ndarray) -> np.ndarray:
    return np.prod(np.clip(xyxy[:, 2:] - xyxy[:, :2], 0, None), axis=1)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix between (N,4) and (M,4) boxes."""
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=2)
    return inter / np.maximum(_area(a)[:, None] + _area(b)[None, :] - inter, 1e-9)


class PartTracker:
    """`update(frame, detections) -> tracks that left the view`; `flush()` at the end of the stream."""

    def __init__(self, class_names: Sequence[str], config: TrackingConfig, *, frame_size: tuple[int, int],
                 speed_px_s: float, crop_margin_px: int = 8) -> None:
        names = list(class_names)
        missing = [c for c in (PART_CLASS, *DEFECT_CLASSES) if c not in names]
        if missing:
            raise ValueError(f"detector classes {names} lack {missing}: use a model trained on the inspection classes")
        self._part_id = names.index(PART_CLASS)
        self._defect_of = {names.index(c): c for c in DEFECT_CLASSES}
        self.config = config
        self.width, self.height = frame_size
        self.speed_px_s = speed_px_s
        self.crop_margin = crop_margin_px
        self.active: list[PartTrack] = []
        self.false_parts = 0  # tracks closed before reaching min_frames
        self.orphan_defects = 0  # defect boxes on no tracked part
        self._next_id = 0

    def update(self, frame: Frame, detections: sv.Detections) -> list[PartTrack]:
        cls = detections.class_id if detections.class_id is not None else np.zeros(len(detections), int)
        conf = detections.confidence if detections.confidence is not None else np.ones(len(detections), np.float32)
        is_part = (cls == self._part_id) & (conf >= self.config.part_confidence)
        part_boxes, part_conf = detections.xyxy[is_part].astype(np.float32), conf[is_part]

        frame_box = np.array([0, 0, self.width, self.height], np.float32)
        predicted = np.array([np.clip(t.predict(frame.t_capture, self.speed_px_s), 0, frame_box[[2, 3, 2, 3]])
                              for t in self.active], np.float32).reshape(-1, 4)
        current = predicted.copy()
        matched_tracks, matched_parts = set(), set()
        if len(self.active) and len(part_boxes):
            iou = _iou(predicted, part_boxes)
            for ti, pi in sorted(np.argwhere(iou >= self.config.min_iou).tolist(), key=lambda ij: -iou[ij[0], ij[1]]):
                if ti in matched_tracks or pi in matched_parts:
                    continue
                matched_tracks.add(ti)
                matched_parts.add(pi)
                self._sight(self.active[ti], frame, part_boxes[pi], float(part_conf[pi]))
                current[ti] = part_boxes[pi]
        for ti, track in enumerate(self.active):
            if ti not in matched_tracks:
                track.missed += 1
        for pi in range(len(part_boxes)):
            if pi not in matched_parts:
                track = PartTrack(self._next_id)
                self._next_id += 1
                self._sight(track, frame, part_boxes[pi], float(part_conf[pi]))
                self.active.append(track)
                current = np.vstack([current, part_boxes[pi][None]])

        for di in np.flatnonzero(np.isin(cls, list(self._defect_of))):
            self._assign_defect(frame, detections.xyxy[di].astype(np.float32), self._defect_of[int(cls[di])],
                                float(conf[di]), current)
        return self._close_departed(frame.t_capture)

    def flush(self) -> list[PartTrack]:
        """Close every open track (end of the stream)."""
        done, self.active = self.active, []
        return self._judgeable(done)

    def _sight(self, track: PartTrack, frame: Frame, box: np.ndarray, confidence: float) -> None:
        clipped = bool(box[0] <= 1 or box[1] <= 1 or box[2] >= self.width - 1 or box[3] >= self.height - 1)
        track.sightings.append(PartSighting(frame.seq, frame.t_capture, frame.wall_capture, box, confidence, clipped))
        track.missed = 0

    def _assign_defect(self, frame: Frame, box: np.ndarray, defect: str, confidence: float, parts: np.ndarray) -> None:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        inside = (parts[:, 0] <= cx) & (cx <= parts[:, 2]) & (parts[:, 1] <= cy) & (cy <= parts[:, 3])
        if not inside.any():
            self.orphan_defects += 1
            return
        areas = np.where(inside, _area(parts), np.inf)
        track = self.active[int(np.argmin(areas))]
        track.defects.append(DefectSighting(defect, confidence, box, frame.seq))
        best = track.best_crops.get(defect)
        if best is None or confidence > best[0]:
            m = self.crop_margin
            x0, y0 = int(max(box[0] - m, 0)), int(max(box[1] - m, 0))
            x1, y1 = int(min(box[2] + m, self.width)), int(min(box[3] + m, self.height))
            track.best_crops[defect] = (confidence, frame.image[y0:y1, x0:x1].copy())

    def _close_departed(self, t_capture: float) -> list[PartTrack]:
        """Close parts that no later frame can show usefully: less than `min_visible_share` of the part is left in
        view downstream (every frame of wait is latency the reject deadline pays for), or unseen too long."""
        gone, kept = [], []
        for track in self.active:
            x0, _, x1, _ = track.predict(t_capture, self.speed_px_s)
            leaving = (self.width - x0) < self.config.min_visible_share * (x1 - x0)
            (gone if leaving or track.missed > self.config.max_missed_frames else kept).append(track)
        self.active = kept
        return self._judgeable(gone)

    def _judgeable(self, tracks: list[PartTrack]) -> list[PartTrack]:
        real = [t for t in tracks if len(t.sightings) >= self.config.min_frames]
        self.false_parts += len(tracks) - len(real)
        return real
