"""`edgesight traffic controller` as its own process: joins a running SUMO simulation as a second TraCI
client, takes flow events from MQTT and publishes the signal states it applies."""
import asyncio
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml

from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import LaneFlow, SignalState, TrafficFlow

from edgesight.apps.traffic.cli import app
from edgesight.apps.traffic.control.flow_events import QUEUED_VEHICLE_SPACING_M
from edgesight.apps.traffic.sim.lane_counter import SumoLaneCounter
from edgesight.apps.traffic.sim.run import SumoRun
from edgesight.apps.traffic.sim.scenario import Scenario

LANES = [f"{arm}_in_{i}" for arm in ("north", "east", "south", "west") for i in (0, 1)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_config(path: Path, scenario: Scenario, broker_url: str, sumo_port: int) -> Path:
    path.write_text(yaml.safe_dump({
        "id": "ctl1",
        "bus": {"site_id": "site1", "node_id": "ctl", "broker_url": broker_url,
                "outbox": {"path": str(path.parent / "ctl-outbox.sqlite")}},
        "intersection": {"net": str(scenario.net_file)},
        "algorithm": "max-pressure",
        "lanes": {f"cam1/{lane}": lane for lane in LANES},
        "sumo": {"port": sumo_port, "order": 2},
    }))
    return path


def test_controller_command_drives_a_shared_sumo_run(mosquitto, bus_config, surge_scenario: Scenario,
                                                     tmp_path: Path) -> None:
    port = _free_port()
    config = _write_config(tmp_path / "controller.yaml", surge_scenario, mosquitto.url, port)
    shown: set[str] = set()
    published: list[SignalState] = []

    async def scenario(controller: subprocess.Popen) -> None:
        # SUMO answers no client until all have connected: the controller is already retrying to join.
        with SumoRun(surge_scenario, seed=42, backend="traci", num_clients=2, port=port) as run:
            counter = SumoLaneCounter(run.api, LANES)
            async with (
                EventPublisher(bus_config(mosquitto, node="cam")) as camera,
                EventConsumer(bus_config(mosquitto, node="obs"), name="obs", state_path=tmp_path / "o.sqlite") as obs,
            ):
                while run.time < 300:
                    run.step()
                    lanes = [LaneFlow(lane=m.lane, counts={}, flow_veh_h=m.flow_veh_h, occupancy=m.occupancy,
                                      queue_length_m=max(m.queue_length_m, m.vehicles * QUEUED_VEHICLE_SPACING_M))
                             for m in counter.read()]
                    await camera.publish(TrafficFlow(interval_s=1.0, lanes=lanes), app="traffic", source="cam1",
                                         capture_time=datetime.fromtimestamp(run.time, UTC))
                    await asyncio.sleep(0.01)
                    shown.add(run.api.trafficlight.getRedYellowGreenState("C"))
                while not published or len(published) < 10:
                    batch = await asyncio.wait_for(obs.next_batch(), timeout=10)
                    published.extend(e.data for e in batch if isinstance(e.data, SignalState))

    controller = subprocess.Popen(
        [sys.executable, "-c", "from edgesight.apps.traffic.cli import app; app()", "controller",
         "--config", str(config), "--state-dir", str(tmp_path)], stderr=subprocess.PIPE, text=True)
    try:
        asyncio.run(scenario(controller))
        # Our client left: the controller steps the simulation on alone until it is empty, then exits.
        assert controller.wait(timeout=60) == 0, controller.stderr.read()
    finally:
        if controller.poll() is None:
            controller.kill()
            controller.wait()
    assert {s.plan_id for s in published} >= {"max-pressure"}
    # Both stages were served, through yellows, as the controller applied them to SUMO.
    assert "GGGgrrrrGGGgrrrr" in shown and "rrrrGGGgrrrrGGGg" in shown and "yyyyrrrryyyyrrrr" in shown


def test_controller_config_errors_name_the_key(tmp_path: Path, surge_scenario: Scenario) -> None:
    from typer.testing import CliRunner

    config = _write_config(tmp_path / "c.yaml", surge_scenario, "mqtt://127.0.0.1:1883", 8813)
    text = config.read_text().replace("max-pressure", "magic")
    config.write_text(text)
    result = CliRunner().invoke(app, ["controller", "--config", str(config)])
    assert result.exit_code == 2 and "algorithm" in result.output
