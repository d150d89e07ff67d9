"""An EdgeSight controller driving a SUMO simulation: measurements in, signal states out, with the conflict
monitor watching what SUMO actually shows. Here the measurements are SUMO's exact lane counts, to check an
algorithm on its own; camera_loop.py runs the full loop, where the cameras measure."""
from __future__ import annotations

import tempfile
from pathlib import Path

from edgesight.apps.traffic.control.assembly import assemble_controller, program_monitor
from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.timings import SafetyTimings
from edgesight.apps.traffic.control.traci_adapter import TraciSignalAdapter
from edgesight.apps.traffic.evaluate.metrics import RunMetrics, output_args
from edgesight.apps.traffic.sim.lane_counter import SumoLaneCounter
from edgesight.apps.traffic.sim.run import SumoRun
from edgesight.apps.traffic.sim.scenario import Scenario


def run_exact_closed_loop(scenario: Scenario, algorithm: str, seed: int, timings: SafetyTimings = SafetyTimings(),
                          measure_every_s: float = 1.0) -> RunMetrics:
    """Run `algorithm` on `scenario` until the network is empty, fed SUMO's exact lane measurements."""
    layout = SignalLayout.from_sumo_net(scenario.net_file)
    with tempfile.TemporaryDirectory(prefix="edgesight-loop-") as tmp:
        folder = Path(tmp)
        with SumoRun(scenario, seed=seed, extra_args=output_args(folder)) as run:
            adapter = TraciSignalAdapter(run.api, layout)
            monitor = program_monitor(layout, adapter, timings)
            counter = SumoLaneCounter(run.api, [lane for g in layout.groups for lane in g.lanes])
            controller = assemble_controller(layout, adapter, algorithm, timings, counter.lane_lengths,
                                             stale_after_s=max(10.0, 3 * measure_every_s), start_time=run.time)
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
