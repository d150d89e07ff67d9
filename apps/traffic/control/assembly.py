"""Puts one intersection's controller together the same way everywhere (service, evaluation, tests): guard,
fixed fall-back plan, safety layer, algorithm and adapter."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from edgesight.apps.traffic.control.algorithms import fallback_plan, make_algorithm
from edgesight.apps.traffic.control.conflict_monitor import ConflictFault, ConflictMonitor
from edgesight.apps.traffic.control.controller import SignalController
from edgesight.apps.traffic.control.measurement_guard import MeasurementGuard
from edgesight.apps.traffic.control.safety_layer import SafetyLayer
from edgesight.apps.traffic.control.signal_adapter import SignalAdapter
from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.timings import SafetyTimings


def assemble_controller(layout: SignalLayout, adapter: SignalAdapter, algorithm: str, timings: SafetyTimings,
                        lane_lengths: Mapping[str, float], stale_after_s: float = 10.0,
                        start_time: float = 0.0) -> SignalController:
    guard = MeasurementGuard(lane_lengths, stale_after_s=stale_after_s)
    safety = SafetyLayer(layout, timings, fallback_plan(layout, timings), guard=guard, start_time=start_time)
    return SignalController(make_algorithm(algorithm, layout, timings), safety, adapter)


def program_monitor(layout: SignalLayout, adapter: SignalAdapter, timings: SafetyTimings,
                    on_fault: Callable[[ConflictFault], None] | None = None) -> ConflictMonitor:
    """The conflict monitor programmed as from the intersection's design sheet: one channel per signal group,
    the conflict pairs, the minimum yellow and all-red; a fault puts `adapter` into its fail-safe mode."""
    return ConflictMonitor(
        channels={g.name: g.links for g in layout.groups},
        conflicts=[tuple(sorted(pair)) for pair in layout.conflicts],
        min_yellow_s=timings.yellow_s,
        min_all_red_s=timings.all_red_s,
        fail_safe=adapter.enter_fail_safe,
        on_fault=on_fault,
    )
