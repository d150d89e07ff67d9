"""Max-pressure control (Varaiya 2013) on the approaches' measured vehicles: at each decision point serve the
stage whose groups have the most vehicles waiting. Outgoing arms of an isolated intersection discharge freely,
so their (zero) downstream term is left out."""
from __future__ import annotations

from collections.abc import Sequence

from edgesight.apps.traffic.control.measurements import MeasurementSnapshot
from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.signal_status import SignalRequest, SignalStatus


class MaxPressureController:
    """Switches only after the serving stage has been green `min_phase_s`, and only to a stage whose pressure
    exceeds the current one's by more than `hysteresis` vehicles (each switch costs a yellow and an all-red).
    The defaults are the best of a sweep on the bundled scenarios with exact counts (min phase 5/7/10 s,
    hysteresis 0-4 vehicles, with and without a red-time bonus)."""

    plan_id = "max-pressure"

    def __init__(self, layout: SignalLayout, stages: Sequence[frozenset[str]] | None = None,
                 min_phase_s: float = 5.0, hysteresis: float = 2.0, measure: str = "vehicles") -> None:
        self.layout = layout
        self.stages = tuple(stages or layout.stages)
        self.min_phase_s = min_phase_s
        self.hysteresis = hysteresis
        self.measure = measure
        self._lanes = {g.name: g.lanes for g in layout.groups}
        self._target = self.stages[0]

    def pressure(self, stage: frozenset[str], measurements: MeasurementSnapshot) -> float:
        return sum(measurements.total(self._lanes[group], self.measure) for group in stage)

    def decide(self, now: float, status: SignalStatus, measurements: MeasurementSnapshot | None) -> SignalRequest:
        if measurements is None:
            return SignalRequest(self._target, "max pressure: no trusted measurements, holding")
        served = status.green_elapsed(self._target)
        if served is None or served < self.min_phase_s:
            return SignalRequest(self._target, "max pressure: serving the stage chosen")
        current = self.pressure(self._target, measurements)
        best = max(self.stages, key=lambda s: self.pressure(s, measurements))
        if best != self._target and self.pressure(best, measurements) > current + self.hysteresis:
            reason = (f"max pressure: {self.layout.stage_name(best)} {self.pressure(best, measurements):.0f} > "
                      f"{self.layout.stage_name(self._target)} {current:.0f}")
            self._target = best
            return SignalRequest(best, reason)
        return SignalRequest(self._target, "max pressure: current stage still heaviest")
