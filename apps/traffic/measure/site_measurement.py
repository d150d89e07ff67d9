"""Everything measured at one camera site, from tracked detections: counts per lane, direction and class,
turning movements, flow, occupancy, queues and speeds, reported per interval.

The steps are chained in one direction: TrackIdentity (steady ids and classes) -> SpeedEstimator -> the
counters, each a plain object with `update(detections, timestamp)` and `snapshot()`.
"""
from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import supervision as sv

from .ground_plane import GroundPlane
from .lane_map import LaneMap
from .line_counter import LineCounter, LineCrossing
from .occupancy import ZoneOccupancy
from .presence import LanePresence
from .queue import QueueEstimator
from .site import SiteConfig
from .speed import SpeedEstimator
from .track_identity import TrackIdentity
from .turning_movements import TurningMovementCounter


@dataclass(frozen=True)
class LaneReport:
    lane: str
    direction: str
    approach: str | None
    counts: dict[str, int]  # class -> vehicles that crossed a counting line in this lane
    flow_veh_h: float  # over the trailing flow window (or the interval, when longer)
    occupancy: float
    vehicles: int  # in the lane at the end of the interval, moving or not
    queue_vehicles: int  # at the end of the interval
    queue_m: float
    max_queue_m: float
    mean_speed_kmh: float | None  # of the vehicles counted; None when none was


@dataclass(frozen=True)
class IntervalReport:
    start: float
    end: float
    lanes: list[LaneReport]
    line_counts: dict[str, Counter]  # line -> (lane, direction, class) -> vehicles
    movements: Counter  # (entry, exit, movement, class) -> vehicles

    @property
    def interval_s(self) -> float:
        return self.end - self.start


class SiteMeasurement:
    """`update(detections, timestamp)` -> line crossings completed in this frame (one event each);
    `snapshot()` -> IntervalReport since the previous snapshot.

    Detections are one frame's tracked vehicles in the pixel frame of `config.image_size`, with `tracker_id`
    and `class_id` (named by `class_names`) or `data["class_name"]`."""

    def __init__(self, config: SiteConfig, class_names: Sequence[str]) -> None:
        self.config = config
        ground = GroundPlane(config.ground_plane)
        self.identity = TrackIdentity(ground, class_names, config.image_size)
        self.speed = SpeedEstimator(ground, window_s=config.speed_window_s)
        lanes = LaneMap({lane.name: lane.polygon for lane in config.lanes})
        directions = {lane.name: lane.direction for lane in config.lanes}
        self.counters = [LineCounter(line.name, line.start, line.end, line.in_towards, lanes, directions,
                                     counts=line.counts)
                         for line in config.lines if line.kind == "count"]
        self.occupancy = ZoneOccupancy({lane.name: lane.detector or lane.polygon for lane in config.lanes})
        self.presence = LanePresence(lanes)
        stop_lines = {line.approach: (line.start, line.end) for line in config.lines if line.kind == "stop"}
        queued = {lane.name: lane.polygon for lane in config.lanes if lane.direction == "in" and lane.approach in stop_lines}
        self.queues = QueueEstimator(queued, {lane.name: stop_lines[lane.approach] for lane in config.lanes if lane.name in queued},
                                     ground, stopped_speed_mps=config.stopped_speed_kmh / 3.6,
                                     max_spacing_m=config.queue_max_spacing_m) if queued else None
        with_approach = [lane for lane in config.lanes if lane.approach is not None]
        self.turns = TurningMovementCounter(
            {lane.name: lane.polygon for lane in with_approach if lane.direction == "in"},
            {lane.name: lane.polygon for lane in with_approach if lane.direction == "out"},
            {lane.name: lane.approach for lane in with_approach},
            {a.name: a.bearing_deg for a in config.approaches},
        ) if config.approaches else None
        self._start: float | None = None
        self._first_t: float | None = None
        self._last_t: float | None = None
        self._recent: deque[LineCrossing] = deque()  # crossings within the flow window

    def update(self, detections: sv.Detections, timestamp: float,
               seen: sv.Detections | None = None) -> list[LineCrossing]:
        """`detections`: the frame's tracked vehicles; `seen`: every vehicle detected in the frame, with a track
        or not yet (default: `detections`). Occupancy and presence count `seen`: a vehicle stands in its lane
        before its track is confirmed, and at a frame every second or two a moving vehicle jumps too far to
        match its track, so it is an unconfirmed new track in nearly every frame."""
        if self._start is None:
            self._start = self._first_t = timestamp
        self._last_t = timestamp
        if len(detections) == 0:
            detections = sv.Detections(xyxy=np.empty((0, 4)), class_id=np.empty(0, int), tracker_id=np.empty(0, int))
        seen = detections if seen is None else seen
        tracked = self.speed.update(self.identity.update(detections, timestamp), timestamp)
        crossings = [c for counter in self.counters for c in counter.update(tracked, timestamp)]
        self._recent.extend(crossings)
        self.occupancy.update(seen, timestamp)
        self.presence.update(seen, timestamp)
        if self.queues is not None:
            self.queues.update(tracked, timestamp)
        if self.turns is not None:
            self.turns.update(tracked, timestamp)
        return crossings

    def snapshot(self) -> IntervalReport:
        end = self._last_t if self._last_t is not None else 0.0
        start = self._start if self._start is not None else end
        lines = [counter.snapshot() for counter in self.counters]
        occupancy = self.occupancy.snapshot()
        presence = self.presence.snapshot()
        queues = self.queues.snapshot() if self.queues is not None else {}
        movements = self.turns.snapshot().counts() if self.turns is not None else Counter()
        # Flow over the trailing window (the interval when that is longer), measured since the first frame at most.
        window = max(self.config.flow_window_s, end - start)
        while self._recent and self._recent[0].timestamp <= end - window:
            self._recent.popleft()
        flow_span = max(min(window, end - (self._first_t if self._first_t is not None else end)), 1e-9)
        lanes = []
        for lane in self.config.lanes:
            crossed = [c for report in lines for c in report.crossings if c.lane == lane.name]
            recent = sum(1 for c in self._recent if c.lane == lane.name)
            speeds = [c.speed_mps for c in crossed if c.speed_mps is not None]
            queue = queues.get(lane.name)
            lanes.append(LaneReport(
                lane=lane.name, direction=lane.direction, approach=lane.approach,
                counts=dict(Counter(c.vehicle_class for c in crossed)), flow_veh_h=recent * 3600.0 / flow_span,
                occupancy=occupancy.get(lane.name, 0.0), vehicles=presence.get(lane.name, 0),
                queue_vehicles=queue.vehicles if queue else 0, queue_m=queue.length_m if queue else 0.0,
                max_queue_m=queue.max_length_m if queue else 0.0,
                mean_speed_kmh=float(np.mean(speeds)) * 3.6 if speeds else None,
            ))
        self._start = self._last_t
        return IntervalReport(start, end, lanes, {r.line: r.counts() for r in lines}, movements)
