"""A run of one of SUMO's own signal programs (fixed-time, actuated, delay_based) with no controller attached:
the reference every EdgeSight controller is compared with."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from edgesight.apps.traffic.evaluate.metrics import RunMetrics, output_args
from edgesight.apps.traffic.sim.scenario import Scenario
from edgesight.apps.traffic.sim.sumo_home import sumo_binary


def run_sumo_program(scenario: Scenario, program: str, seed: int) -> RunMetrics:
    """Run `scenario` under SUMO's `program` until the network is empty, in a separate sumo process (so
    several seeds run in parallel), and score it."""
    with tempfile.TemporaryDirectory(prefix="edgesight-sumo-") as tmp:
        folder = Path(tmp)
        command = [
            sumo_binary("sumo"),
            *scenario.sumo_args(program),
            "--seed", str(seed),
            "--no-step-log", "true",
            "--duration-log.disable", "true",
            *output_args(folder),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"sumo on scenario {scenario.name!r} ({program}, seed {seed}) failed: {result.stderr.strip()[-500:]}"
            )
        return RunMetrics.from_outputs(folder)
