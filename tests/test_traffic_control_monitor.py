"""The conflict monitor: trips on every unsafe sequence of applied states, latches, puts a real SUMO
intersection into all-red flash and raises its alarm."""
import pytest

from edgesight.apps.traffic.control.assembly import assemble_controller, program_monitor
from edgesight.apps.traffic.control.conflict_monitor import ConflictMonitor
from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.timings import SafetyTimings
from edgesight.apps.traffic.control.traci_adapter import TraciSignalAdapter
from edgesight.apps.traffic.sim.lane_counter import SumoLaneCounter
from edgesight.apps.traffic.sim.run import SumoRun
from edgesight.apps.traffic.sim.scenario import Scenario

TIMINGS = SafetyTimings()
# Two channels of two links each that conflict, and a third compatible with both.
CHANNELS = {"ns": (0, 1), "ew": (2, 3), "right": (4,)}


def _monitor(trips: list) -> ConflictMonitor:
    return ConflictMonitor(CHANNELS, [("ns", "ew")], min_yellow_s=3, min_all_red_s=2,
                           fail_safe=lambda: trips.append("fail-safe"), on_fault=trips.append)


def _feed(monitor: ConflictMonitor, states: list[str]) -> list:
    return [monitor.observe(float(t), s) for t, s in enumerate(states, start=1)]


SAFE_CYCLE = ["GGrrG"] * 5 + ["yyrrG"] * 3 + ["rrrrG"] * 2 + ["rrGGG"] * 5 + ["rryyy"] * 3 + ["rrrrr"] * 2 + ["GGrrr"]


def test_a_correct_sequence_does_not_trip() -> None:
    trips: list = []
    assert not any(_feed(_monitor(trips), SAFE_CYCLE)) and trips == []


@pytest.mark.parametrize("states, kind", [
    (["GGrrr", "GGGGr"], "conflict"),
    (["GGrrr", "GGyyr"], "conflict"),  # a yellow is not red: still a conflict
    (["GGrrr", "rrrrr"], "skipped_yellow"),
    (["GGrrr", "yyrrr", "yyrrr", "rrrrr"], "short_yellow"),
    (["GGrrr", "yyrrr", "yyrrr", "yyrrr", "GGrrr"], "bad_sequence"),
    (["GGrrr", "yyrrr", "yyrrr", "yyrrr", "rrrrr", "rrGGr"], "missing_all_red"),
    (["GGrrr", "yyrrr", "yyrrr", "yyrrr", "rrGGr"], "missing_all_red"),
    (["Grrrr"], "bad_channel"),
    (["GGr"], "bad_channel"),
])
def test_unsafe_sequences_trip_latch_and_raise_the_alarm(states: list[str], kind: str) -> None:
    trips: list = []
    monitor = _monitor(trips)
    faults = [f for f in _feed(monitor, states) if f]
    assert [f.kind for f in faults] == [kind]
    assert trips[0] == "fail-safe" and trips[1].kind == kind
    # Latched: a safe sequence afterwards changes nothing until a reset.
    assert not any(_feed(monitor, SAFE_CYCLE)) and monitor.latched
    monitor.reset()
    assert not monitor.latched


def test_a_conflicting_state_forced_onto_sumo_puts_it_into_all_red_flash(surge_scenario: Scenario) -> None:
    layout = SignalLayout.from_sumo_net(surge_scenario.net_file)
    with SumoRun(surge_scenario, seed=42) as run:
        adapter = TraciSignalAdapter(run.api, layout)
        alarms = []
        monitor = program_monitor(layout, adapter, TIMINGS, on_fault=alarms.append)
        counter = SumoLaneCounter(run.api, [lane for g in layout.groups for lane in g.lanes])
        controller = assemble_controller(layout, adapter, "max-pressure", TIMINGS, counter.lane_lengths,
                                         start_time=run.time)
        while run.time < 200:
            controller.measure(run.time, counter.read())
            controller.tick(run.time)
            if run.time == 150:
                # A fault outside the controller (a shorted load switch): every link green at once.
                run.api.trafficlight.setRedYellowGreenState(layout.tls_id, "G" * layout.link_count)
            run.step()
            monitor.observe(run.time, adapter.read_link_states())
        assert [a.kind for a in alarms] == ["conflict"] and alarms[0].time == 151
        assert adapter.in_fail_safe
        # The controller keeps deciding, but nothing it applies reaches the intersection any more.
        assert adapter.read_link_states() == "s" * layout.link_count
        # Flashing red is an all-way stop: traffic still gets through, one vehicle after another.
        arrived = 0
        while run.time < 320:
            run.step()
            arrived += run.api.simulation.getArrivedNumber()
        assert arrived > 10
