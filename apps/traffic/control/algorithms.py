"""The signal-timing algorithms by name, as the CLI and the evaluation choose them."""
from __future__ import annotations

from edgesight.apps.traffic.control.algorithm import SignalAlgorithm
from edgesight.apps.traffic.control.fixed_time import FixedTimePlan
from edgesight.apps.traffic.control.max_pressure import MaxPressureController
from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.timings import SafetyTimings
from edgesight.apps.traffic.control.webster import WebsterController

# The cycle netconvert gives a generated fixed-time program, and the fall-back plan's.
DEFAULT_CYCLE_S = 90.0
ALGORITHMS: tuple[str, ...] = ("fixed", "webster", "max-pressure")


def fallback_plan(layout: SignalLayout, timings: SafetyTimings) -> FixedTimePlan:
    return FixedTimePlan.equal_split(layout.stages, DEFAULT_CYCLE_S, timings, plan_id="fallback-fixed")


def make_algorithm(name: str, layout: SignalLayout, timings: SafetyTimings) -> SignalAlgorithm:
    if name == "fixed":
        return FixedTimePlan.equal_split(layout.stages, DEFAULT_CYCLE_S, timings)
    if name == "webster":
        return WebsterController(layout, timings)
    if name == "max-pressure":
        return MaxPressureController(layout)
    raise ValueError(f"signal algorithm {name!r}: unknown; choose one of {', '.join(ALGORITHMS)}")
