"""The closed loop end to end with the cameras in it: SUMO -> four rendered approach cameras -> the shipped
detector -> site measurement -> traffic-flow events over a real Mosquitto -> controller service -> SUMO."""
import asyncio
from pathlib import Path

import pytest

from edgesight.apps.traffic.evaluate.camera_loop import BUS_SITE, CONTROLLER_ID, CameraLoopSettings, run_camera_closed_loop
from edgesight.apps.traffic.sim.scenario import Scenario
from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.events import SignalState, TrafficFlow
from edgesight.core.models import bundled_model

SIMULATED_S = 90.0


@pytest.mark.slow
def test_a_short_closed_loop_runs_on_what_the_cameras_measure(mosquitto, bus_config, surge_scenario: Scenario,
                                                              tmp_path: Path) -> None:
    settings = CameraLoopSettings(model=bundled_model("traffic_vehicles"), broker_url=mosquitto.url, until_s=SIMULATED_S)

    async def scenario():
        events = []
        config = bus_config(mosquitto, node="obs", site_id=BUS_SITE)
        async with EventConsumer(config, name="obs", state_path=tmp_path / "obs.sqlite") as observer:
            async def collect() -> None:
                async for batch in observer.batches():
                    events.extend(batch)

            collecting = asyncio.create_task(collect())
            result = await asyncio.to_thread(run_camera_closed_loop, surge_scenario, "max-pressure", 42, settings)
            await asyncio.sleep(1.0)
            collecting.cancel()
        return result, events

    result, events = asyncio.run(scenario())
    frame_times = int(SIMULATED_S * settings.fps)
    assert result.frames == 4 * frame_times and result.late_ticks == 0
    # Every frame of every camera reached a decision: capture -> decision latency for each one.
    assert len(result.latency_s) == result.frames and 0 < min(result.latency_s)
    assert result.metrics.vehicles > 10
    flows = [e for e in events if isinstance(e.data, TrafficFlow)]
    assert {e.source for e in flows} == {"approach-north", "approach-east", "approach-south", "approach-west"}
    assert len(flows) == result.frames
    assert any(lane.vehicles_in_zone for e in flows for lane in e.data.lanes)
    states = [e for e in events if e.source == CONTROLLER_ID and isinstance(e.data, SignalState)]
    # Measurements arrive from the first frame (t = 2 s): from then on the adaptive plan is in charge.
    adaptive = [e.data for e in states if e.capture_time.timestamp() > 3.0]
    assert len(adaptive) >= 4 and all(s.plan_id == "max-pressure" for s in adaptive)
