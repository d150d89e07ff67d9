"""`edgesight traffic evaluate`: the comparison table for one scenario."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from edgesight.core.models import bundled_model

from edgesight.apps.traffic.control.algorithms import ALGORITHMS
from edgesight.apps.traffic.evaluate.camera_loop import CameraLoopSettings
from edgesight.apps.traffic.evaluate.evaluation import SEEDS, evaluate
from edgesight.apps.traffic.sim.scenario import Scenario, load_scenario


def scenario_from_options(scenario: Optional[str], net: Optional[Path], routes: Optional[list[Path]],
                          program_dir: Path) -> Scenario:
    """The bundled scenario, or the user's network and routes with SUMO's programs built into `program_dir`."""
    if net is not None:
        if not routes:
            raise typer.BadParameter("--net needs at least one --routes file (the demand to run on it)")
        return Scenario.from_files(net, list(routes)).with_sumo_programs(program_dir)
    return load_scenario(scenario or "balanced")


def evaluate_command(
    scenario: Annotated[Optional[str], typer.Option("--scenario", "-s", help="bundled scenario (see `scenarios`)")] = None,
    net: Annotated[Optional[Path], typer.Option(help="your own SUMO .net.xml instead of a bundled scenario")] = None,
    routes: Annotated[Optional[list[Path]], typer.Option(help="route file(s) for --net; repeat for several")] = None,
    controller: Annotated[Optional[str], typer.Option("--controller", "-c", help=f"EdgeSight algorithm to run in "
                          f"the loop: {', '.join(ALGORITHMS)}")] = None,
    seeds: Annotated[int, typer.Option(help="number of SUMO seeds, from --first-seed up")] = len(SEEDS),
    first_seed: Annotated[int, typer.Option(help="the first SUMO seed (42-46 are the reported ones; start later to "
                                            "add seeds to a run that stopped)")] = SEEDS[0],
    workers: Annotated[int, typer.Option(help="simulations run in parallel (a camera loop keeps two cores busy)")] = 2,
    exact: Annotated[bool, typer.Option(help="also run the controller on SUMO's exact lane counts (no cameras)")] = False,
    cameras: Annotated[bool, typer.Option("--cameras/--no-cameras", help="the controller fed by the camera "
                                          "pipeline (bundled intersection only)")] = True,
    fps: Annotated[float, typer.Option(help="camera frame rate in the loop; its period must be whole seconds")] = 0.5,
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="ONNX detector for the cameras; default: "
                                                  "the bundled vehicle model")] = None,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads per camera loop (0: all cores)")] = 0,
    broker: Annotated[Optional[str], typer.Option(help="mqtt://host:port for the loop's events; default: a private "
                                                  "Mosquitto")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the table as JSON")] = False,
) -> None:
    """Mean delay (timeLoss), waiting time, throughput and max queue over seeds for a controller fed by the
    camera pipeline (SUMO -> rendered cameras -> detection -> MQTT -> controller -> SUMO), with the frame
    capture -> signal decision latency, beside SUMO's fixed-time, actuated and delay_based programs on the same
    demand."""
    if seeds < 1 or workers < 1:
        raise typer.BadParameter("--seeds and --workers must be at least 1")
    if controller is not None and controller not in ALGORITHMS:
        raise typer.BadParameter(f"--controller {controller!r}: unknown; choose one of {', '.join(ALGORITHMS)}")
    if cameras and net is not None and controller is not None:
        raise typer.BadParameter("the cameras watch the bundled intersection only: use --no-cameras --exact with --net")
    try:
        settings = CameraLoopSettings(model=model or bundled_model("traffic_vehicles"), fps=fps, threads=threads,
                                      broker_url=broker) if cameras else None
    except (ValueError, FileNotFoundError) as error:
        raise typer.BadParameter(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="edgesight-programs-") as program_dir:
        try:
            chosen = scenario_from_options(scenario, net, routes, Path(program_dir))
        except (ValueError, FileNotFoundError, RuntimeError) as error:
            raise typer.BadParameter(str(error)) from None
        if controller is not None and settings is not None:
            typer.echo(f"camera loop: {settings.describe()}", err=True)
        table = evaluate(chosen, controller, seeds=range(first_seed, first_seed + seeds), workers=workers,
                         cameras=settings, exact=exact)
    typer.echo(json.dumps(table.as_json(), indent=2) if as_json else table.as_text())
