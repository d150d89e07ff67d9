"""An EdgeSight controller driving a SUMO simulation: measurements in, signal states out, with the conflict
monitor watching what SUMO actually shows. Here the measurements are SUMO's exact lane counts; the camera
pipeline replaces them for the full closed loop."""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from edgesight.apps.traffic.control.algorithms import fallback_plan, make_algorithm
from edgesight.apps.traffic.control.conflict_monitor import ConflictFault, ConflictMonitor
from edgesight.apps.traffic.control.controller import SignalController
from edgesight.apps.traffic.control.measurement_guard import MeasurementGuard
from edgesight.apps.traffic.control.safety_layer import SafetyLayer
from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.timings import SafetyTimings
from edgesight.apps.traffic.control.traci_adapter import TraciSignalAdapter
from edgesight.apps.traffic.evaluate.metrics import RunMetrics, output_args
from edgesight.apps.traffic.sim.lane_counter import SumoLaneCounter
from edgesight.apps.traffic.sim.run import SumoRun
from edgesight.apps.traffic.sim.scenario import Scenario

# Safety limits for every closed-loop run: the scenario's 3 s yellow and 2 s all-red, and common min/max greens.
TIMINGS = SafetyTimings(min_green_s=5.0, max_green_s=60.0, yellow_s=3.0, all_red_s=2.0)


def monitor_for(layout: SignalLayout, adapter: TraciSignalAdapter, timings: SafetyTimings,
                on_fault: Callable[[ConflictFault], None] | None = None) -> ConflictMonitor:
    """The conflict monitor as it would be programmed from the intersection's design sheet."""
    return ConflictMonitor(
        channels={g.name: g.links for g in layout.groups},
        conflicts=[tuple(sorted(pair)) for pair in layout.conflicts],
        min_yellow_s=timings.yellow_s,
        min_all_red_s=timings.all_red_s,
        fail_safe=adapter.enter_fail_safe,
        on_fault=on_fault,
    )


def run_exact_closed_loop(scenario: Scenario, algorithm: str, seed: int, timings: SafetyTimings = TIMINGS,
                          measure_every_s: float = 1.0) -> RunMetrics:
    """Run `algorithm` on `scenario` until the network is empty, fed SUMO's exact lane measurements."""
    layout = SignalLayout.from_sumo_net(scenario.net_file)
    with tempfile.TemporaryDirectory(prefix="edgesight-loop-") as tmp:
        folder = Path(tmp)
        with SumoRun(scenario, seed=seed, extra_args=output_args(folder)) as run:
            adapter = TraciSignalAdapter(run.api, layout)
            monitor = monitor_for(layout, adapter, timings)
            counter = SumoLaneCounter(run.api, [lane for g in layout.groups for lane in g.lanes])
            guard = MeasurementGuard(counter.lane_lengths, stale_after_s=max(10.0, 3 * measure_every_s))
            safety = SafetyLayer(layout, timings, fallback_plan(layout, timings), guard=guard, start_time=run.time)
            controller = SignalController(make_algorithm(algorithm, layout, timings), safety, adapter)
            next_measurement = run.time
            while not run.finished:
                if run.time >= next_measurement:
                    controller.measure(run.time, counter.read())
                    next_measurement += measure_every_s
                controller.tick(run.time)
                run.step()
                monitor.observe(run.time, adapter.read_link_states())
            if monitor.latched:
                raise RuntimeError(f"conflict monitor tripped during {algorithm} on {scenario.name}: {monitor.fault}")
        return RunMetrics.from_outputs(folder)
