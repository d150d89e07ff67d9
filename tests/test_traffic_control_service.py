"""The controller service over a real Mosquitto broker, driving a real SUMO simulation in lockstep: flow
events in, signal-state events out, and the fall-back with its alarm when the camera stops reporting."""
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import Alarm, LaneFlow, SignalState, TrafficFlow

from edgesight.apps.traffic.control.assembly import assemble_controller, program_monitor
from edgesight.apps.traffic.control.flow_events import QUEUED_VEHICLE_SPACING_M, FlowEventReader
from edgesight.apps.traffic.control.service import ControllerService
from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.ticker import SumoStepTicker
from edgesight.apps.traffic.control.timings import SafetyTimings
from edgesight.apps.traffic.control.traci_adapter import TraciSignalAdapter
from edgesight.apps.traffic.sim.lane_counter import SumoLaneCounter
from edgesight.apps.traffic.sim.run import SumoRun
from edgesight.apps.traffic.sim.scenario import Scenario

TIMINGS = SafetyTimings()
CAMERA_DOWN_AT = 240.0
END = 330.0


class CameraStandIn:
    """Publishes a traffic_flow event per simulated second from SUMO's exact lane state (what the camera
    pipeline measures in the full loop), and stops at CAMERA_DOWN_AT as a camera that lost power."""

    def __init__(self, run: SumoRun, counter: SumoLaneCounter, publisher: EventPublisher) -> None:
        self.run, self.counter, self.publisher = run, counter, publisher
        self.sent = 0

    async def publish(self) -> None:
        now = self.run.time
        if now >= CAMERA_DOWN_AT:
            return
        lanes = [LaneFlow(lane=m.lane, counts={}, flow_veh_h=m.flow_veh_h, occupancy=m.occupancy,
                          queue_length_m=max(m.queue_length_m, m.vehicles * QUEUED_VEHICLE_SPACING_M))
                 for m in self.counter.read()]
        await self.publisher.publish(TrafficFlow(interval_s=1.0, lanes=lanes), app="traffic", source="cam1",
                                     capture_time=datetime.fromtimestamp(now, UTC))
        self.sent += 1


class DeliveryCountingReader(FlowEventReader):
    """Counts the flow events handed to the controller, so the lockstep ticker can wait for each one."""

    def __init__(self, lane_map: dict[str, str]) -> None:
        super().__init__(lane_map)
        self.delivered = 0
        self.arrived = asyncio.Event()

    def measurements(self, envelope):
        if isinstance(envelope.data, TrafficFlow):
            self.delivered += 1
            self.arrived.set()
        return super().measurements(envelope)


class PublishingTicker:
    """SUMO's lockstep ticker that lets the camera stand-in report after each step and holds the simulated
    clock until the controller has the report: the simulation runs many times faster than real time, so a
    bus delay of a few real milliseconds on a busy machine would otherwise read as simulated seconds of
    silence and trip the stale-measurement fall-back."""

    def __init__(self, inner: SumoStepTicker, camera: CameraStandIn, reader: DeliveryCountingReader) -> None:
        self.inner, self.camera, self.reader = inner, camera, reader

    def now(self) -> float:
        return self.inner.now()

    async def tick(self) -> float:
        now = await self.inner.tick()
        await self.camera.publish()
        while self.reader.delivered < self.camera.sent:
            self.reader.arrived.clear()
            if self.reader.delivered >= self.camera.sent:
                break
            await asyncio.wait_for(self.reader.arrived.wait(), timeout=10)
        return now


def test_controller_service_runs_the_loop_over_mqtt_and_falls_back_when_the_camera_stops(
        mosquitto, bus_config, surge_scenario: Scenario, tmp_path: Path) -> None:
    layout = SignalLayout.from_sumo_net(surge_scenario.net_file)
    received = []

    async def scenario() -> None:
        with SumoRun(surge_scenario, seed=42, backend="traci") as run:
            adapter = TraciSignalAdapter(run.api, layout)
            counter = SumoLaneCounter(run.api, [lane for g in layout.groups for lane in g.lanes])
            controller = assemble_controller(layout, adapter, "max-pressure", TIMINGS, counter.lane_lengths,
                                             start_time=run.time)
            reader = DeliveryCountingReader({f"cam1/{lane}": lane for lane in counter.lane_lengths})
            async with (
                EventPublisher(bus_config(mosquitto, node="cam")) as camera_bus,
                EventPublisher(bus_config(mosquitto, node="ctl")) as controller_bus,
                EventConsumer(bus_config(mosquitto, node="ctl"), name="ctl", state_path=tmp_path / "ctl.sqlite")
                as consumer,
                EventConsumer(bus_config(mosquitto, node="obs"), name="obs", state_path=tmp_path / "obs.sqlite")
                as observer,
            ):
                async def observe() -> None:
                    async for batch in observer.batches():
                        received.extend(e for e in batch if e.source == "ctl1")

                watching = asyncio.create_task(observe())
                service = ControllerService(controller, reader, controller_bus, source="ctl1")
                ticker = PublishingTicker(SumoStepTicker(run.api), CameraStandIn(run, counter, camera_bus), reader)
                await service.run(consumer, ticker, monitor=program_monitor(layout, adapter, TIMINGS, service.on_fault),
                                  until=lambda: run.time >= END)
                assert await controller_bus.drain(timeout=10)
                await asyncio.sleep(0.5)
                watching.cancel()
                assert service.rejected == 0

    asyncio.run(scenario())
    states = [e for e in received if isinstance(e.data, SignalState)]
    alarms = [e for e in received if isinstance(e.data, Alarm)]
    assert len(states) > 20
    times = [e.capture_time.timestamp() for e in states]
    adaptive = [e.data for e, t in zip(states, times) if 20 < t < CAMERA_DOWN_AT]
    fallback = [e.data for e, t in zip(states, times) if t > CAMERA_DOWN_AT + 11]
    assert adaptive and all(s.plan_id == "max-pressure" for s in adaptive)
    assert fallback and all(s.plan_id == "fallback-fixed" for s in fallback)
    assert all(s.reason for s in adaptive + fallback)
    # One stale alarm once the camera is down; at most one more at start-up, should the controller's first
    # tick come before the first measurement.
    stale = [a.capture_time.timestamp() for a in alarms if a.data.alarm == "stale_measurement"]
    assert stale and CAMERA_DOWN_AT + 9 <= stale[-1] <= CAMERA_DOWN_AT + 12
    assert all(t < 5 for t in stale[:-1]) and len(stale) <= 2
    assert all("stale measurements" in a.data.text for a in alarms if a.data.alarm == "stale_measurement")
    assert not [a for a in alarms if a.data.alarm == "conflict_fault"]
