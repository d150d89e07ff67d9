"""Decides whether measurements can be trusted: every watched lane measured recently, and nothing physically
impossible received. When they cannot be, the safety layer runs the fixed plan instead of the algorithm."""
from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping

from edgesight.apps.traffic.control.measurements import LaneMeasurement, MeasurementSnapshot

log = logging.getLogger(__name__)

# Above this a single lane would carry more than one vehicle every 1.2 s for the whole interval.
MAX_FLOW_VEH_H_PER_LANE = 3000.0
# The shortest road space one stopped vehicle takes (a motorcycle and its gap): bounds vehicles per metre.
MIN_SPACE_PER_VEHICLE_M = 4.0


class MeasurementGuard:
    """`lane_lengths` maps each watched lane to its length in metres (what the camera can possibly see).

    A lane is stale once its last accepted measurement is older than `stale_after_s`. A batch with anything
    impossible in it is dropped whole, and measurements stay distrusted for `stale_after_s` after it: a camera
    that sends garbage once is not believed on its next message."""

    def __init__(self, lane_lengths: Mapping[str, float], stale_after_s: float = 10.0) -> None:
        if not lane_lengths:
            raise ValueError("MeasurementGuard: no lanes to watch; give the incoming lanes of the signal groups")
        if not math.isfinite(stale_after_s) or stale_after_s <= 0:
            raise ValueError(f"MeasurementGuard stale_after_s={stale_after_s}: must be a positive number of seconds")
        self.lane_lengths = dict(lane_lengths)
        self.stale_after_s = stale_after_s
        self._latest: dict[str, LaneMeasurement] = {}
        self._rejected_at: float | None = None
        self._rejected_reason = ""

    def accept(self, now: float, measurements: Iterable[LaneMeasurement]) -> str | None:
        """Take a batch received at `now`; returns why it was rejected, or None if it was accepted."""
        batch = list(measurements)
        problem = next((p for p in (self._problem(now, m) for m in batch) if p), None)
        if problem is None and not batch:
            problem = "empty measurement batch"
        if problem is not None:
            self._rejected_at, self._rejected_reason = now, problem
            log.warning("measurement rejected: %s", problem)
            return problem
        for measurement in batch:
            self._latest[measurement.lane] = measurement
        return None

    def distrust_reason(self, now: float) -> str | None:
        """Why measurements cannot be used at `now`, or None when they can."""
        if self._rejected_at is not None and now - self._rejected_at < self.stale_after_s:
            return f"impossible measurement at {self._rejected_at:.1f} s: {self._rejected_reason}"
        stale = sorted(
            lane for lane in self.lane_lengths
            if lane not in self._latest or now - self._latest[lane].time > self.stale_after_s
        )
        if stale:
            return f"stale measurements (none in {self.stale_after_s:g} s) for lanes {', '.join(stale)}"
        return None

    def snapshot(self, now: float) -> MeasurementSnapshot | None:
        """The latest measurement of every watched lane, or None while they cannot be trusted."""
        if self.distrust_reason(now) is not None:
            return None
        return MeasurementSnapshot(time=now, lanes=dict(self._latest))

    def _problem(self, now: float, m: LaneMeasurement) -> str | None:
        if m.lane not in self.lane_lengths:
            return f"lane {m.lane!r} is not one of the watched lanes"
        values = {"time": m.time, "vehicles": m.vehicles, "queue_length_m": m.queue_length_m,
                  "occupancy": m.occupancy, "flow_veh_h": m.flow_veh_h}
        for name, value in values.items():
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                return f"lane {m.lane}: {name}={value!r} is not a finite number"
            if name != "time" and value < 0:
                return f"lane {m.lane}: {name}={value} is negative"
        if m.time > now + 1.0:
            return f"lane {m.lane}: measured at {m.time:.1f}, in the future of {now:.1f} (clock skew?)"
        length = self.lane_lengths[m.lane]
        if m.occupancy > 1.0:
            return f"lane {m.lane}: occupancy {m.occupancy} is above 1"
        if m.queue_length_m > length + MIN_SPACE_PER_VEHICLE_M:
            return f"lane {m.lane}: queue {m.queue_length_m:.0f} m is longer than the {length:.0f} m lane"
        if m.vehicles > length / MIN_SPACE_PER_VEHICLE_M + 1:
            return f"lane {m.lane}: {m.vehicles:g} vehicles cannot fit on {length:.0f} m"
        if m.flow_veh_h > MAX_FLOW_VEH_H_PER_LANE:
            return f"lane {m.lane}: flow {m.flow_veh_h:.0f} veh/h is above one lane's capacity"
        return None
