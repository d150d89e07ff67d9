"""`edgesight traffic ...`: the traffic app's commands; each lives in the module that does the work."""
from __future__ import annotations

import typer

from edgesight.apps.traffic.control.command import controller_command
from edgesight.apps.traffic.evaluate.accuracy_command import accuracy_command
from edgesight.apps.traffic.evaluate.command import evaluate_command
from edgesight.apps.traffic.measure.preview import site_preview_command
from edgesight.apps.traffic.measure.run_command import run_command
from edgesight.apps.traffic.sim.record_command import record_command
from edgesight.apps.traffic.sim.scenarios_command import scenarios_command

app = typer.Typer(
    name="traffic",
    help="Traffic: counts and queues from cameras, SUMO scenarios, the signal controller and its closed-loop evaluation.",
    no_args_is_help=True,
)
app.command("run")(run_command)
app.command("site-preview")(site_preview_command)
app.command("record")(record_command)
app.command("accuracy")(accuracy_command)
app.command("scenarios")(scenarios_command)
app.command("evaluate")(evaluate_command)
app.command("controller")(controller_command)
