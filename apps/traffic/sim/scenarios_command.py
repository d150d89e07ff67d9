"""`edgesight traffic scenarios`: the bundled SUMO scenarios and where their files are."""
from __future__ import annotations

import typer

from edgesight.apps.traffic.sim.scenario import load_scenario, scenario_names


def scenarios_command() -> None:
    """List the bundled SUMO scenarios."""
    for name in scenario_names():
        scenario = load_scenario(name)
        typer.echo(f"{name:18} {scenario.description}")
        typer.echo(f"{'':18} net {scenario.net_file}, routes {', '.join(str(r) for r in scenario.route_files)}")
