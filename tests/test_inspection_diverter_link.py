"""The reject controller driving a separate line's diverter over a real Mosquitto: commands sent ahead with their
due time strike the right parts once each; a redelivered command strikes nothing more, a late one is not struck."""
import asyncio
import time

from edgesight.apps.inspection.config import BeltGeometry, ControllerConfig, InspectionConfig
from edgesight.apps.inspection.diverter_link import (TRANSPORT_LEAD_S, DiverterCommandListener, MqttDiverterActuator,
                                                     with_transport_lead)
from edgesight.apps.inspection.reject_controller import RejectController
from edgesight.apps.inspection.reject_scheduler import RejectScheduler, VerdictNotice
from edgesight.apps.inspection.sim.clock import LineClock
from edgesight.apps.inspection.sim.conveyor import ConveyorSimulator
from edgesight.apps.inspection.sim.diverter import SimulatedDiverter

LEAD_S = 0.25


def test_controller_drives_a_separate_line_over_the_diverter_topic(mosquitto, bus_config,
                                                                   inspection_line: ConveyorSimulator) -> None:
    async def scenario():
        clock = LineClock.start_now()
        diverter = SimulatedDiverter(inspection_line, clock, window_mm=40.0)
        listener = DiverterCommandListener(bus_config(mosquitto, node="line1"), "lineA", diverter)
        listening = asyncio.create_task(listener.run())
        await asyncio.wait_for(listener.ready.wait(), 10)
        belt = BeltGeometry(speed_mps=inspection_line.line.belt_speed_mps, diverter_mm=inspection_line.line.diverter_mm)
        async with MqttDiverterActuator(bus_config(mosquitto, node="reject1"), "lineA") as actuator:
            controller = RejectController(RejectScheduler(belt, ControllerConfig(actuation_lead_s=LEAD_S)), actuator)
            for k in (1, 2):  # judged when their centre is 150 mm past the camera axis
                capture = inspection_line.part(k).time_at(150.0)
                await asyncio.sleep(max(capture - clock.sim_now(), 0) + 0.05)
                await controller.handle(VerdictNotice(f"lineA-{k}", True, clock.wall_at(capture), 150.0))
            await controller.settle()
            await actuator.fire("lineA-1", clock.wall_at(inspection_line.part(1).time_at(800.0)))  # sent again
            await actuator.fire("lineA-9", time.time() - 0.5)  # its part passed the diverter already
            async with asyncio.timeout(10):
                while listener.duplicates + len(listener.late) < 2:
                    await asyncio.sleep(0.02)
            await listener.settle()
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        return diverter, listener, actuator

    diverter, listener, actuator = asyncio.run(scenario())
    assert [s.hit for s in diverter.strokes] == [1, 2]
    assert actuator.sent == 4 and listener.struck == 2 and listener.duplicates == 1
    assert [c.part_id for c in listener.late] == ["lineA-9"]
    assert min(listener.arrival_slack_s) > 0.05, "commands should arrive well ahead of their due time"


def test_mqtt_route_gets_at_least_the_transport_lead() -> None:
    assert with_transport_lead(InspectionConfig()).controller.actuation_lead_s == TRANSPORT_LEAD_S
    slow = InspectionConfig(controller=ControllerConfig(actuation_lead_s=0.4))
    assert with_transport_lead(slow) is slow
