"""The reject controller: fires once per failed part at the moment it reaches the diverter, never for a duplicate,
and reports a verdict that comes too late as a deadline miss."""
import asyncio
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgesight.apps.inspection.actuator import LoggingActuator
from edgesight.apps.inspection.config import BeltGeometry, ControllerConfig
from edgesight.apps.inspection.reject_controller import RejectController
from edgesight.apps.inspection.reject_scheduler import Outcome, RejectScheduler, VerdictNotice
from edgesight.apps.inspection.sim.clock import LineClock
from edgesight.apps.inspection.sim.conveyor import ConveyorSimulator
from edgesight.apps.inspection.sim.diverter import SimulatedDiverter

BELT = BeltGeometry(speed_mps=0.8, diverter_mm=800.0)


def scheduler(lead: float = 0.0, belt: BeltGeometry = BELT) -> RejectScheduler:
    return RejectScheduler(belt, ControllerConfig(actuation_lead_s=lead, remember_s=60.0))


def test_fire_time_is_travel_from_capture_position() -> None:
    s = scheduler(lead=0.05)
    d = s.offer(VerdictNotice("p1", True, capture_wall=1000.0, belt_position_mm=100.0), now=1000.2)
    assert d.outcome is Outcome.SCHEDULED
    assert d.fire_at == pytest.approx(1000.0 + 700.0 / 800.0 - 0.05)
    assert d.slack_s == pytest.approx(d.fire_at - 1000.2)


def test_pass_needs_no_action_and_late_reject_is_a_miss() -> None:
    s = scheduler()
    assert s.offer(VerdictNotice("good", False, 1000.0, 100.0), now=1005.0).outcome is Outcome.PASS
    late = s.offer(VerdictNotice("bad", True, 1000.0, 100.0), now=1000.0 + 0.875 + 0.01)
    assert late.outcome is Outcome.DEADLINE_MISS and late.slack_s == pytest.approx(-0.01)
    assert s.counts[Outcome.DEADLINE_MISS] == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.booleans(), st.floats(0.0, 2.0)), min_size=1, max_size=120))
def test_each_part_acts_at_most_once_whatever_the_redelivery(deliveries) -> None:
    """Any interleaving of repeated verdicts: one decision per part id, everything else a duplicate."""
    s = scheduler()
    first: dict[str, Outcome] = {}
    now = 1000.0
    for pid, reject, delay in deliveries:
        now += delay / 10
        # Redeliveries carry the first delivery's content, as QoS 1 does.
        notice = VerdictNotice(f"p{pid}", reject if f"p{pid}" not in first else first[f"p{pid}"] is not Outcome.PASS,
                               capture_wall=1000.0 + pid * 0.25, belt_position_mm=150.0)
        d = s.offer(notice, now)
        if f"p{pid}" in first:
            assert d.outcome is Outcome.DUPLICATE
        else:
            assert d.outcome is not Outcome.DUPLICATE
            first[f"p{pid}"] = d.outcome
    acted = sum(s.counts[o] for o in (Outcome.SCHEDULED, Outcome.PASS, Outcome.DEADLINE_MISS))
    assert acted == len(first)
    assert s.counts[Outcome.DUPLICATE] == len(deliveries) - len(first)


def test_forgotten_ids_cannot_fire_again() -> None:
    s = RejectScheduler(BELT, ControllerConfig(remember_s=5.0))
    notice = VerdictNotice("p", True, 1000.0, 100.0)
    assert s.offer(notice, 1000.1).outcome is Outcome.SCHEDULED
    assert s.offer(notice, 1010.0).outcome is Outcome.DEADLINE_MISS  # long gone: a miss to report, never a stroke


def test_controller_fires_on_time_once_and_alarms_late(inspection_line: ConveyorSimulator) -> None:
    async def scenario() -> tuple[SimulatedDiverter, RejectController, list]:
        clock = LineClock.start_now()
        diverter = SimulatedDiverter(inspection_line, clock, window_mm=40.0)
        alarms: list = []

        async def raise_alarm(alarm) -> None:
            alarms.append(alarm)

        belt = BeltGeometry(speed_mps=inspection_line.line.belt_speed_mps, diverter_mm=inspection_line.line.diverter_mm)
        controller = RejectController(scheduler(belt=belt), diverter, raise_alarm)
        # Parts 1 and 2 are judged the moment their centre is 150 mm past the camera axis (well before the diverter).
        for k in (1, 2):
            part = inspection_line.part(k)
            capture = part.time_at(150.0)
            notice = VerdictNotice(f"line-{k}", True, clock.wall_at(capture), 150.0)
            await asyncio.sleep(max(capture - clock.sim_now(), 0) + 0.05)
            await controller.handle(notice)
            await controller.handle(notice)  # QoS 1 redelivery
        # Part 0's verdict only arrives after it passed the diverter.
        part0 = inspection_line.part(0)
        await asyncio.sleep(max(part0.time_at(inspection_line.line.diverter_mm) - clock.sim_now(), 0) + 0.02)
        await controller.handle(VerdictNotice("line-0", True, clock.wall_at(part0.time_at(150.0)), 150.0))
        await controller.settle()
        return diverter, controller, alarms

    diverter, controller, alarms = asyncio.run(scenario())
    assert [s.hit for s in diverter.strokes] == [1, 2]
    assert all(abs(s) < 0.02 for s in controller.fire_lateness_s)
    assert controller.scheduler.counts[Outcome.DUPLICATE] == 2
    assert controller.scheduler.counts[Outcome.DEADLINE_MISS] == 1
    assert len(alarms) == 1 and alarms[0].alarm == "deadline_miss" and "line-0" in alarms[0].text


def test_logging_actuator_records_commands() -> None:
    actuator = LoggingActuator()
    asyncio.run(actuator.fire("x-1", time.time() + 0.3))
    called, due, part_id = actuator.fired[0]
    assert part_id == "x-1" and abs(called - time.time()) < 1 and abs(due - called - 0.3) < 0.1
