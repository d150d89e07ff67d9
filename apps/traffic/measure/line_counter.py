"""Counts vehicles crossing a line, per lane, direction and class, each vehicle at most once.

A track must stay `confirm_frames` frames on the far side before its crossing counts, so a box that flickers
across the line is not a crossing; once counted, a track does not count again on this line, so a vehicle that
creeps back over a stop line, or whose box jitters there in stop-and-go traffic, is still one vehicle. Lost
and re-found ids are joined upstream by TrackIdentity.

The one exception is a tracker id that has switched onto another vehicle: far from the camera, where a pixel is
metres of road, or where two vehicles pass each other, the tracker (or TrackIdentity) can hand a counted
vehicle's id to a vehicle driving the other way. When lane directions are known, a counted track that crosses
the other way *in another lane that runs that way* is that other vehicle and counts. A vehicle creeping back
crosses against its own lane's direction, so it still never counts twice.

A line may count one direction only (`counts`): where a camera sees entering and leaving traffic best at
different distances, a site counts each on its own line. A crossing the other way still moves the track to
that side, so a vehicle is judged by the side it is on, but it neither counts nor marks the track counted.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import supervision as sv
from supervision.geometry.core import Vector

from .lane_map import LaneMap


@dataclass(frozen=True)
class LineCrossing:
    track_id: int
    line: str
    lane: str | None
    vehicle_class: str
    direction: str  # "in" or "out"
    speed_mps: float | None
    timestamp: float


@dataclass(frozen=True)
class LineCounts:
    """Crossings of one line over the interval [start, end] (timestamps of the first and last update)."""

    line: str
    start: float
    end: float
    crossings: list[LineCrossing]

    def counts(self) -> Counter:
        """(lane, direction, class) -> vehicles."""
        return Counter((c.lane, c.direction, c.vehicle_class) for c in self.crossings)


@dataclass
class _TrackSide:
    side: int
    last_t: float
    pending: int = 0
    pending_frames: int = 0
    counted: str | None = None  # the direction it was counted in
    counted_lane: str | None = None
    lane: str | None = None


class LineCounter:
    """`update(detections, timestamp)` -> the crossings completed in this frame; `snapshot()` -> LineCounts
    since the previous snapshot. Detections need `tracker_id` and `data["class_name"]` (TrackIdentity).
    `lane_directions`: lane -> "in"/"out", the way traffic runs in it, in this line's terms. `counts`: "both",
    or the one direction ("in"/"out") this line counts."""

    def __init__(self, name: str, start: Sequence[float], end: Sequence[float], in_towards: Sequence[float],
                 lanes: LaneMap | None = None, lane_directions: Mapping[str, str] | None = None,
                 confirm_frames: int = 2, forget_s: float = 10.0, counts: str = "both") -> None:
        if counts not in ("both", "in", "out"):
            raise ValueError(f"LineCounter {name}: counts={counts!r}; use 'both', 'in' or 'out'")
        self.name = name
        self.vector = Vector(sv.Point(*map(float, start)), sv.Point(*map(float, end)))
        self.in_side = self._side_sign(np.array(in_towards, dtype=float))
        if self.in_side == 0:
            raise ValueError(f"LineCounter {name}: in_towards {tuple(in_towards)} lies on the line; put it on the 'in' side")
        self.lanes = lanes
        self.lane_directions = dict(lane_directions or {})
        self.confirm_frames = confirm_frames
        self.counts = counts
        self.forget_s = forget_s
        self._tracks: dict[int, _TrackSide] = {}
        self._crossings: list[LineCrossing] = []
        self._start: float | None = None
        self._last_t: float | None = None

    def _side_sign(self, point: np.ndarray) -> int:
        return int(np.sign(self.vector.cross_product(sv.Point(float(point[0]), float(point[1])))))

    def _within_segment(self, point: np.ndarray) -> bool:
        """Only points beside the segment (not beyond its ends) can cross it."""
        a = np.array([self.vector.start.x, self.vector.start.y])
        d = np.array([self.vector.end.x, self.vector.end.y]) - a
        t = float((point - a) @ d / (d @ d))
        return -0.02 <= t <= 1.02

    def update(self, detections: sv.Detections, timestamp: float) -> list[LineCrossing]:
        if self._start is None:
            self._start = timestamp
        self._last_t = timestamp
        anchors = detections.get_anchors_coordinates(sv.Position.BOTTOM_CENTER)
        lanes = self.lanes.lane_of(anchors) if self.lanes is not None else [None] * len(detections)
        speeds = detections.data.get("speed_mps")
        done = []
        for i, tid in enumerate(detections.tracker_id):
            tid = int(tid)
            side = self._side_sign(anchors[i]) if self._within_segment(anchors[i]) else 0
            state = self._tracks.get(tid)
            if state is None:
                self._tracks[tid] = _TrackSide(side, timestamp, lane=lanes[i])
                continue
            state.last_t = timestamp
            state.lane = lanes[i] or state.lane
            if side == 0 or side == state.side:
                state.pending, state.pending_frames = 0, 0
                continue
            if state.side == 0:
                state.side = side
                continue
            state.pending_frames = state.pending_frames + 1 if state.pending == side else 1
            state.pending = side
            if state.pending_frames < self.confirm_frames:
                continue
            state.side, state.pending, state.pending_frames = side, 0, 0
            direction = "in" if side == self.in_side else "out"
            if self.counts not in ("both", direction):
                continue
            if state.counted is not None and not self._another_vehicle(state, direction):
                continue
            state.counted, state.counted_lane = direction, state.lane
            speed = float(speeds[i]) if speeds is not None and np.isfinite(speeds[i]) else None
            crossing = LineCrossing(tid, self.name, state.lane, str(detections.data["class_name"][i]),
                                    direction, speed, timestamp)
            self._crossings.append(crossing)
            done.append(crossing)
        for tid in [t for t, s in self._tracks.items() if timestamp - s.last_t > self.forget_s]:
            del self._tracks[tid]
        return done

    def _another_vehicle(self, state: _TrackSide, direction: str) -> bool:
        """Is this crossing by a counted track another vehicle its id switched onto? (See the module docstring.)"""
        return (direction != state.counted and state.lane is not None and state.lane != state.counted_lane
                and self.lane_directions.get(state.lane) == direction)

    def snapshot(self) -> LineCounts:
        end = self._last_t if self._last_t is not None else 0.0
        report = LineCounts(self.name, self._start if self._start is not None else end, end, self._crossings)
        self._crossings, self._start = [], self._last_t
        return report
