"""One intersection's control step: measurements go to the guard, the algorithm asks, the safety layer decides,
the adapter shows it. Every change of what is shown goes to `on_change` with its reason (to be published)."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from edgesight.apps.traffic.control.algorithm import SignalAlgorithm
from edgesight.apps.traffic.control.measurements import LaneMeasurement
from edgesight.apps.traffic.control.safety_layer import SafetyLayer
from edgesight.apps.traffic.control.signal_adapter import SignalAdapter
from edgesight.apps.traffic.control.signal_status import SignalStatus


class SignalController:
    def __init__(self, algorithm: SignalAlgorithm, safety: SafetyLayer, adapter: SignalAdapter,
                 on_change: Callable[[SignalStatus], None] | None = None) -> None:
        if safety.guard is None:
            raise ValueError("SignalController: the safety layer needs a MeasurementGuard to judge measurements")
        self.guard = safety.guard
        self.algorithm = algorithm
        self.safety = safety
        self.adapter = adapter
        self.on_change = on_change
        self._shown = dict(safety.status.states)

    @property
    def plan_id(self) -> str:
        return "fallback-fixed" if self.safety.in_fallback else self.algorithm.plan_id

    def measure(self, now: float, measurements: Iterable[LaneMeasurement]) -> str | None:
        """Hand a measurement batch to the guard; returns why it was rejected, or None."""
        return self.guard.accept(now, measurements)

    def tick(self, now: float) -> SignalStatus:
        request = self.algorithm.decide(now, self.safety.status, self.guard.snapshot(now))
        status = self.safety.step(now, request)
        self.adapter.apply(status.states)
        if status.states != self._shown:
            self._shown = dict(status.states)
            if self.on_change is not None:
                self.on_change(status)
        return status
