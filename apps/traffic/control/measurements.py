"""Per-lane measurements the adaptive algorithms are fed: from the camera's traffic-flow events, or exact
counts read from SUMO for a sanity check of an algorithm."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class LaneMeasurement:
    """One incoming lane at `time`: `vehicles` in its detection zone (up to ~100 m before the stop line),
    its queue in metres, the share of time its zone was occupied and the flow that crossed it."""

    lane: str
    time: float
    vehicles: float
    queue_length_m: float
    occupancy: float
    flow_veh_h: float


@dataclass(frozen=True)
class MeasurementSnapshot:
    """The latest trusted measurement of every lane the controller watches."""

    time: float
    lanes: Mapping[str, LaneMeasurement]

    def total(self, lanes: tuple[str, ...], field: str) -> float:
        return sum(getattr(self.lanes[lane], field) for lane in lanes if lane in self.lanes)
