"""Exact per-lane measurements read from SUMO's state: what a perfect detector would report. Used to check
an algorithm on its own, before the camera's measurements replace these."""
from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from edgesight.apps.traffic.control.measurements import LaneMeasurement

# A vehicle slower than this is queued (SUMO's own "halting" threshold).
HALTING_SPEED_MS = 0.1


class SumoLaneCounter:
    """For each incoming lane: vehicles within `zone_m` of the stop line, the queue (back of the last halted
    vehicle in that zone, in metres from the stop line), the share of the zone's length vehicles cover, and
    the flow over the stop line during the last `flow_window_s`."""

    def __init__(self, api: Any, lanes: Sequence[str], zone_m: float = 100.0, flow_window_s: float = 60.0) -> None:
        self._api = api
        self.zone_m = zone_m
        self.flow_window_s = flow_window_s
        self._lengths = {lane: api.lane.getLength(lane) for lane in lanes}
        self._on_lane: dict[str, set[str]] = {lane: set() for lane in lanes}
        self._crossings: dict[str, deque[float]] = {lane: deque() for lane in lanes}

    @property
    def lane_lengths(self) -> dict[str, float]:
        return dict(self._lengths)

    def read(self) -> list[LaneMeasurement]:
        now = self._api.simulation.getTime()
        vehicle = self._api.vehicle
        in_network = set(vehicle.getIDList())
        measurements = []
        for lane, length in self._lengths.items():
            ids = set(self._api.lane.getLastStepVehicleIDs(lane))
            crossings = self._crossings[lane]
            # A vehicle gone from the lane crossed the stop line unless it only changed to the next lane.
            edge = lane.rsplit("_", 1)[0]
            crossings.extend(
                now for v in self._on_lane[lane] - ids if v in in_network and vehicle.getRoadID(v) != edge
            )
            while crossings and crossings[0] <= now - self.flow_window_s:
                crossings.popleft()
            self._on_lane[lane] = ids
            count, queue, covered = 0, 0.0, 0.0
            for vehicle_id in ids:
                to_stop_line = length - vehicle.getLanePosition(vehicle_id)
                if to_stop_line > self.zone_m:
                    continue
                count += 1
                vehicle_length = vehicle.getLength(vehicle_id)
                covered += vehicle_length
                if vehicle.getSpeed(vehicle_id) < HALTING_SPEED_MS:
                    queue = max(queue, to_stop_line + vehicle_length)
            measurements.append(LaneMeasurement(
                lane=lane,
                time=now,
                vehicles=count,
                queue_length_m=min(queue, length),
                occupancy=min(covered / min(self.zone_m, length), 1.0),
                flow_veh_h=len(crossings) * 3600.0 / self.flow_window_s,
            ))
        return measurements
