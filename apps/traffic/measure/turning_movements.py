"""Turning movement counts: for every vehicle, the approach it entered by and the one it left by, named
left, through or right from the approaches' compass bearings (right-hand traffic)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import supervision as sv

from .lane_map import LaneMap


def movement(entry_bearing_deg: float, exit_bearing_deg: float) -> str:
    """From an arm at bearing a to an arm at bearing b: the exit 90 deg clockwise of the entry is a left turn
    (arriving from the north heading south, east is on the driver's left)."""
    turn = (exit_bearing_deg - entry_bearing_deg) % 360.0
    if 135.0 < turn < 225.0:
        return "through"
    if 45.0 <= turn <= 135.0:
        return "left"
    if 225.0 <= turn <= 315.0:
        return "right"
    return "u-turn"


@dataclass(frozen=True)
class TurningMovement:
    track_id: int
    entry: str
    exit: str
    movement: str
    vehicle_class: str
    timestamp: float


@dataclass(frozen=True)
class TurningCounts:
    start: float
    end: float
    movements: list[TurningMovement]

    def counts(self) -> Counter:
        """(entry approach, exit approach, movement, class) -> vehicles."""
        return Counter((m.entry, m.exit, m.movement, m.vehicle_class) for m in self.movements)


@dataclass
class _Route:
    last_t: float
    entry: str | None = None
    candidate: str | None = None
    candidate_frames: int = 0
    done: bool = False


class TurningMovementCounter:
    """`update(detections, timestamp)` -> movements completed this frame; `snapshot()` -> TurningCounts.

    A vehicle's entry is the approach of the first entry lane it is seen in for `confirm_frames` frames; its
    movement is counted, once, when it has been in an exit lane of another approach for as many frames."""

    def __init__(self, entry_lanes: Mapping[str, list], exit_lanes: Mapping[str, list], lane_approach: Mapping[str, str],
                 bearings: Mapping[str, float], confirm_frames: int = 2, forget_s: float = 30.0) -> None:
        self._entry = LaneMap(entry_lanes)
        self._exit = LaneMap(exit_lanes)
        self._approach = dict(lane_approach)
        self._bearings = dict(bearings)
        self.confirm_frames = confirm_frames
        self.forget_s = forget_s
        self._routes: dict[int, _Route] = {}
        self._movements: list[TurningMovement] = []
        self._start: float | None = None
        self._last_t: float | None = None

    def update(self, detections: sv.Detections, timestamp: float) -> list[TurningMovement]:
        if self._start is None:
            self._start = timestamp
        self._last_t = timestamp
        anchors = detections.get_anchors_coordinates(sv.Position.BOTTOM_CENTER)
        entry_lanes, exit_lanes = self._entry.lane_of(anchors), self._exit.lane_of(anchors)
        done = []
        for i, tid in enumerate(detections.tracker_id):
            route = self._routes.setdefault(int(tid), _Route(timestamp))
            route.last_t = timestamp
            if route.done:
                continue
            lane = entry_lanes[i] if route.entry is None else exit_lanes[i]
            approach = self._approach[lane] if lane is not None else None
            if route.entry is not None and approach == route.entry:
                approach = None  # back in its own arm's exit lanes would be a U-turn; not a movement we count
            if approach is None:
                route.candidate, route.candidate_frames = None, 0
                continue
            route.candidate_frames = route.candidate_frames + 1 if approach == route.candidate else 1
            route.candidate = approach
            if route.candidate_frames < self.confirm_frames:
                continue
            if route.entry is None:
                route.entry, route.candidate, route.candidate_frames = approach, None, 0
                continue
            route.done = True
            m = TurningMovement(int(tid), route.entry, approach, movement(self._bearings[route.entry], self._bearings[approach]),
                                str(detections.data["class_name"][i]), timestamp)
            self._movements.append(m)
            done.append(m)
        for tid in [t for t, r in self._routes.items() if timestamp - r.last_t > self.forget_s]:
            del self._routes[tid]
        return done

    def snapshot(self) -> TurningCounts:
        end = self._last_t if self._last_t is not None else 0.0
        report = TurningCounts(self._start if self._start is not None else end, end, self._movements)
        self._movements, self._start = [], self._last_t
        return report
