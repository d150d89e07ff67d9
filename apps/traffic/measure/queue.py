"""Queue length per entry lane: the unbroken line of stopped vehicles behind the stop line, in vehicles and
in metres from the stop line to the rear of the last one."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import supervision as sv

from .ground_plane import GroundPlane
from .lane_map import LaneMap

# Typical body lengths: a box's bottom edge marks one end of a vehicle, the queue needs the rear one.
VEHICLE_LENGTH_M = {"car": 4.5, "bus": 12.0, "truck": 10.0, "motorcycle": 2.2}


@dataclass(frozen=True)
class QueueReport:
    vehicles: int  # at the last update of the interval
    length_m: float
    max_vehicles: int  # over the interval
    max_length_m: float


class QueueEstimator:
    """`update(detections, timestamp)` -> lane -> (vehicles, metres) now; `snapshot()` -> lane -> QueueReport.

    Detections need `data["speed_mps"]` (SpeedEstimator) and `data["class_name"]` (TrackIdentity). A vehicle is
    queued at or below `stopped_speed_mps`; the queue starts with a stopped vehicle within `first_within_m` of
    the stop line and ends at the first moving vehicle or a gap longer than `max_spacing_m` between the box
    anchors of consecutive vehicles (a bus plus a generous gap)."""

    def __init__(self, lanes: Mapping[str, Sequence[tuple[float, float]]],
                 stop_lines: Mapping[str, tuple[Sequence[float], Sequence[float]]], ground: GroundPlane,
                 stopped_speed_mps: float = 1.4, max_spacing_m: float = 20.0, first_within_m: float = 12.0) -> None:
        missing = set(lanes) - set(stop_lines)
        if missing:
            raise ValueError(f"QueueEstimator: lanes {sorted(missing)} have no stop line; give each entry lane its approach's stop line")
        self.lanes = LaneMap(lanes)
        self.ground = ground
        self.stopped_speed_mps = stopped_speed_mps
        self.max_spacing_m = max_spacing_m
        self.first_within_m = first_within_m
        self._stop: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._anchor_is_front: dict[str, bool] = {}
        for name, (a, b) in stop_lines.items():
            if name not in lanes:
                continue
            ends = ground.to_metres(np.array([a, b], dtype=float))
            direction = (ends[1] - ends[0]) / np.linalg.norm(ends[1] - ends[0])
            normal = np.array([-direction[1], direction[0]])
            # Distances grow upstream: orient the normal towards the lane's own body.
            lane_centre = ground.to_metres(np.asarray(lanes[name], dtype=float)).mean(axis=0)
            self._stop[name] = (ends[0], normal if (lane_centre - ends[0]) @ normal > 0 else -normal)
            # Traffic drives towards the stop line: if the line is lower in the image than the lane, vehicles
            # come towards the camera and a box's bottom edge is their front bumper.
            self._anchor_is_front[name] = (a[1] + b[1]) / 2 > float(np.mean(np.asarray(lanes[name], dtype=float)[:, 1]))
        self._report = {name: QueueReport(0, 0.0, 0, 0.0) for name in self._stop}

    def update(self, detections: sv.Detections, timestamp: float) -> dict[str, tuple[int, float]]:
        anchors = detections.get_anchors_coordinates(sv.Position.BOTTOM_CENTER)
        xy = detections.data.get("ground_xy")
        xy = self.ground.to_metres(anchors) if xy is None else xy
        speeds = detections.data.get("speed_mps", np.full(len(detections), np.nan))
        classes = detections.data.get("class_name", np.full(len(detections), "car", dtype=object))
        in_lane = self.lanes.lane_of(anchors)
        now = {}
        for lane, (origin, normal) in self._stop.items():
            distance = {i: float((xy[i] - origin) @ normal) for i, name in enumerate(in_lane) if name == lane}
            # Vehicles already past the stop line are in the junction, not in the queue.
            rows = [i for i, d in distance.items() if d > -1.0]
            count, length, previous = 0, 0.0, None
            for i in sorted(rows, key=distance.get):
                reach = self.first_within_m if previous is None else previous + self.max_spacing_m
                if not (speeds[i] <= self.stopped_speed_mps) or distance[i] > reach:
                    break
                count += 1
                previous = distance[i]
                rear = VEHICLE_LENGTH_M.get(str(classes[i]), 4.5) if self._anchor_is_front[lane] else 0.0
                length = distance[i] + rear
            now[lane] = (count, length)
            held = self._report[lane]
            self._report[lane] = QueueReport(count, length, max(held.max_vehicles, count), max(held.max_length_m, length))
        return now

    def snapshot(self) -> dict[str, QueueReport]:
        report = self._report
        # The next interval starts from the queue standing now, not from zero.
        self._report = {lane: QueueReport(r.vehicles, r.length_m, r.vehicles, r.length_m) for lane, r in report.items()}
        return report
