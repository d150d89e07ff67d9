"""A fixed-time plan: the stages in order, each green for its planned time, over and over. It is one of the
controller's algorithms and the plan the safety layer falls back to."""
from __future__ import annotations

from collections.abc import Sequence

from edgesight.apps.traffic.control.measurements import MeasurementSnapshot
from edgesight.apps.traffic.control.signal_status import SignalRequest, SignalStatus
from edgesight.apps.traffic.control.timings import SafetyTimings


class FixedTimePlan:
    """Decides from the signal status alone (which stage is green and for how long), so it can take over at
    any moment, e.g. from an adaptive algorithm whose measurements went stale."""

    def __init__(self, stages: Sequence[frozenset[str]], greens_s: Sequence[float], plan_id: str = "fixed") -> None:
        if not stages or len(stages) != len(greens_s):
            raise ValueError(f"FixedTimePlan {plan_id}: give one green time per stage ({len(stages)} stages, "
                             f"{len(greens_s)} green times)")
        if any(not g > 0 for g in greens_s):
            raise ValueError(f"FixedTimePlan {plan_id}: green times {list(greens_s)} must all be positive")
        self.stages = tuple(frozenset(s) for s in stages)
        self.greens_s = tuple(float(g) for g in greens_s)
        self.plan_id = plan_id
        self._index = 0

    @classmethod
    def equal_split(cls, stages: Sequence[frozenset[str]], cycle_s: float, timings: SafetyTimings,
                    plan_id: str = "fixed") -> FixedTimePlan:
        """What netconvert generates: the cycle less every change interval, shared equally by the stages."""
        green = (cycle_s - len(stages) * (timings.yellow_s + timings.all_red_s)) / len(stages)
        if green < timings.min_green_s:
            raise ValueError(f"FixedTimePlan: a {cycle_s:g} s cycle leaves {green:.1f} s green per stage, below the "
                             f"{timings.min_green_s:g} s minimum; use a longer cycle")
        return cls(stages, [green] * len(stages), plan_id)

    def cycle_s(self, timings: SafetyTimings) -> float:
        return sum(self.greens_s) + len(self.stages) * (timings.yellow_s + timings.all_red_s)

    @property
    def current_stage(self) -> frozenset[str]:
        return self.stages[self._index]

    def align(self, status: SignalStatus) -> None:
        """Continue from the stage that is green now, if the plan has one that covers it."""
        green = status.green
        for index, stage in enumerate(self.stages):
            if green and green <= stage:
                self._index = index
                return

    def stage_after(self, groups: frozenset[str]) -> frozenset[str]:
        """The first stage, in plan order after the one serving `groups`, that contains none of them."""
        start = next((i for i, s in enumerate(self.stages) if s & groups), self._index)
        for step in range(1, len(self.stages) + 1):
            stage = self.stages[(start + step) % len(self.stages)]
            if not stage & groups:
                return stage
        return frozenset()

    def decide(self, now: float, status: SignalStatus, measurements: MeasurementSnapshot | None = None) -> SignalRequest:
        elapsed = status.green_elapsed(self.current_stage)
        if elapsed is not None and elapsed >= self.greens_s[self._index]:
            self._index = (self._index + 1) % len(self.stages)
        green = self.greens_s[self._index]
        return SignalRequest(self.current_stage, reason=f"{self.plan_id} plan: stage {self._index} for {green:g} s")
