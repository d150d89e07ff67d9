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
    cut_upstream: bool  # the box starts at the entry edge: the part's upstream end is still out of view
    cut_downstream: bool  # the box ends at the exit edge: the part's downstream end has left the view

    @property
    def whole(self) -> bool:
        return not (self.cut_upstream or self.cut_downstream)


@dataclass(frozen=True, slots=True)
class DefectSighting:
    defect_class: str
    confidence: float
    xyxy: np.ndarray
    frame_seq: int


@dataclass(slots=True, eq=False)  # a track is itself: compared by identity
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
        if last.cut_upstream:
            box[0] = last.xyxy[0]  # the real upstream end is unknown: it may be anywhere left of the view
        return box


def _area(xyxy: np.ndarray) -> np.ndarray:
    return np.prod(np.clip(xyxy[:, 2:] - xyxy[:, :2], 0, None), axis=1)


def _belt_match(predicted: np.ndarray, last: PartSighting, box: np.ndarray, cut: tuple[bool, bool],
                tolerance_px: float) -> float:
    """How well a detected box fits a part's predicted box; 0 when it cannot be that part.

    Parts keep their place across the belt and move only along it, so the score is the overlap across the belt,
    and every end seen in both boxes (not cut by a frame edge) must be where the belt speed puts it. Box IoU
    would fail here: at a few frames per second a part moves most of the view between frames, and a part cut by
    a frame edge shows a box of another length than the part."""
    (px0, py0, px1, py1), (bx0, by0, bx1, by1) = predicted, box
    across = max(0.0, min(py1, by1) - max(py0, by0)) / max(max(py1, by1) - min(py0, by0), 1e-6)
    errors = []
    if not (last.cut_upstream or cut[0]):
        errors.append(abs(px0 - bx0))
    if not (last.cut_downstream or cut[1]):
        errors.append(abs(px1 - bx1))
    if any(e > tolerance_px for e in errors):
        return 0.0
    lo = -np.inf if last.cut_upstream else px0
    hi = np.inf if last.cut_downstream else px1
    if min(hi, bx1) <= max(lo, bx0):
        return 0.0
    # Among several that fit, the one whose ends sit closest to the prediction.
    return across - 0.5 * (float(np.mean(errors)) / tolerance_px if errors else 0.0)


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
        self._retired: list[PartTrack] = []  # judged, but still partly in view
        self._last_t: float | None = None
        self._frame_dt: float | None = None

    def update(self, frame: Frame, detections: sv.Detections) -> list[PartTrack]:
        cls = detections.class_id if detections.class_id is not None else np.zeros(len(detections), int)
        conf = detections.confidence if detections.confidence is not None else np.ones(len(detections), np.float32)
        is_part = (cls == self._part_id) & (conf >= self.config.part_confidence)
        part_boxes, part_conf = detections.xyxy[is_part].astype(np.float32), conf[is_part]

        # Parts already judged stay matchable until they are out of view, so that their last slivers neither
        # start a new part (and a second verdict) nor lend their defects to a neighbour.
        tracks = self.active + self._retired
        limits = np.array([self.width, self.height, self.width, self.height], np.float32)
        predicted = [t.predict(frame.t_capture, self.speed_px_s) for t in tracks]
        current = np.array([np.clip(p, 0, limits) for p in predicted], np.float32).reshape(-1, 4)
        cuts = [self._cuts(b) for b in part_boxes]
        score = np.zeros((len(tracks), len(part_boxes)))
        for ti, (p, t) in enumerate(zip(predicted, tracks)):
            for pi, (b, c) in enumerate(zip(part_boxes, cuts)):
                score[ti, pi] = _belt_match(p, t.sightings[-1], b, c, self.config.edge_tolerance_px)
        matched_tracks, matched_parts = set(), set()
        for ti, pi in sorted(np.argwhere(score >= self.config.min_overlap).tolist(), key=lambda ij: -score[ij[0], ij[1]]):
            if ti in matched_tracks or pi in matched_parts:
                continue
            matched_tracks.add(ti)
            matched_parts.add(pi)
            current[ti] = part_boxes[pi]
            if ti < len(self.active):
                self._sight(self.active[ti], frame, part_boxes[pi], float(part_conf[pi]))
        for ti, track in enumerate(self.active):
            if ti not in matched_tracks:
                track.missed += 1
        for pi in range(len(part_boxes)):
            if pi not in matched_parts:
                track = PartTrack(self._next_id)
                self._next_id += 1
                self._sight(track, frame, part_boxes[pi], float(part_conf[pi]))
                self.active.append(track)
                tracks.append(track)
                current = np.vstack([current, part_boxes[pi][None]])

        for di in np.flatnonzero(np.isin(cls, list(self._defect_of))):
            self._assign_defect(frame, detections.xyxy[di].astype(np.float32), self._defect_of[int(cls[di])],
                                float(conf[di]), current, tracks)
        return self._close_departed(frame.t_capture)

    def flush(self) -> list[PartTrack]:
        """Close every open track (end of the stream)."""
        done, self.active, self._retired = self.active, [], []
        return self._judgeable(done)

    def _cuts(self, box: np.ndarray) -> tuple[bool, bool]:
        """(cut by the entry edge, cut by the exit edge)."""
        return bool(box[0] <= 1), bool(box[2] >= self.width - 1)

    def _sight(self, track: PartTrack, frame: Frame, box: np.ndarray, confidence: float) -> None:
        track.sightings.append(PartSighting(frame.seq, frame.t_capture, frame.wall_capture, box, confidence,
                                            *self._cuts(box)))
        track.missed = 0

    def _assign_defect(self, frame: Frame, box: np.ndarray, defect: str, confidence: float, parts: np.ndarray,
                       owners: list[PartTrack]) -> None:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        inside = (parts[:, 0] <= cx) & (cx <= parts[:, 2]) & (parts[:, 1] <= cy) & (cy <= parts[:, 3])
        if not inside.any():
            self.orphan_defects += 1
            return
        areas = np.where(inside, _area(parts), np.inf)
        track = owners[int(np.argmin(areas))]
        if track in self._retired:
            return  # seen on a part already judged
        track.defects.append(DefectSighting(defect, confidence, box, frame.seq))
        best = track.best_crops.get(defect)
        if best is None or confidence > best[0]:
            m = self.crop_margin
            x0, y0 = int(max(box[0] - m, 0)), int(max(box[1] - m, 0))
            x1, y1 = int(min(box[2] + m, self.width)), int(min(box[3] + m, self.height))
            track.best_crops[defect] = (confidence, frame.image[y0:y1, x0:x1].copy())

    def _close_departed(self, t_capture: float) -> list[PartTrack]:
        """Close parts that the next frame cannot show usefully: by then less than `min_visible_share` of the part
        will be left in view downstream. Waiting for that frame would only add a frame interval of latency, which
        the reject deadline pays for. Parts unseen for too long are closed too."""
        if self._last_t is not None and t_capture > self._last_t:
            # Frame interval as the pipeline delivers it (drops included), smoothed.
            self._frame_dt = t_capture - self._last_t if self._frame_dt is None else \
                0.8 * self._frame_dt + 0.2 * (t_capture - self._last_t)
        self._last_t = t_capture
        t_next = t_capture + (self._frame_dt or 0.0)
        gone, kept = [], []
        for track in self.active:
            x0, _, x1, _ = track.predict(t_next, self.speed_px_s)
            leaving = (self.width - x0) < self.config.min_visible_share * (x1 - x0)
            (gone if leaving or track.missed > self.config.max_missed_frames else kept).append(track)
        self.active = kept
        self._retired = [t for t in self._retired + gone if t.predict(t_capture, self.speed_px_s)[0] < self.width]
        return self._judgeable(gone)

    def _judgeable(self, tracks: list[PartTrack]) -> list[PartTrack]:
        real = [t for t in tracks if len(t.sightings) >= self.config.min_frames]
        self.false_parts += len(tracks) - len(real)
        return real
