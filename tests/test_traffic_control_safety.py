"""The safety layer holds whatever it is asked: random and hostile requests, random measurement batches,
irregular clocks. Invariants are checked on the trace of states it produced, by code of this test only."""
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgesight.apps.traffic.control.fixed_time import FixedTimePlan
from edgesight.apps.traffic.control.measurement_guard import MeasurementGuard
from edgesight.apps.traffic.control.measurements import LaneMeasurement
from edgesight.apps.traffic.control.safety_layer import SafetyLayer
from edgesight.apps.traffic.control.signal_layout import SignalLayout, layout_from_program
from edgesight.apps.traffic.control.signal_status import GroupState, SignalRequest, SignalStatus
from edgesight.apps.traffic.control.timings import SafetyTimings
from edgesight.apps.traffic.sim.scenario import load_scenario

TIMINGS = SafetyTimings(min_green_s=5, max_green_s=30, yellow_s=3, all_red_s=2)
BUNDLED = SignalLayout.from_sumo_net(load_scenario("balanced").net_file)
# Three stages with a group (a right-turn overlap) that is green in two of them and conflicts with nothing.
THREE_STAGE = layout_from_program(
    "T",
    ["GGrrG", "yyrrG", "rrrrG", "rrGGG", "rryyy", "rrrrr", "GrGrr"],
    {0: "a_0", 1: "b_0", 2: "c_0", 3: "d_0", 4: "e_0"},
)


def _checked_trace(layout: SignalLayout, statuses: list[SignalStatus], max_dt: float) -> None:
    """Fail on any unsafe sequence of states in `statuses` (taken one step apart)."""
    t = TIMINGS
    entered: dict[str, float] = {g: statuses[0].time for g in layout.group_names}
    previous = {g: GroupState.RED for g in layout.group_names}
    for status in statuses:
        now, states = status.time, status.states
        for a in layout.group_names:
            for b in layout.conflicts_of(a):
                assert not (states[a] is not GroupState.RED and states[b] is not GroupState.RED), (
                    f"{a} {states[a]} with conflicting {b} {states[b]} at {now}")
        for g, state in states.items():
            before = previous[g]
            if state is before:
                continue
            held = now - entered[g]
            if before is GroupState.GREEN:
                assert state is GroupState.YELLOW, f"{g} green -> {state} at {now}"
                assert t.min_green_s <= held <= t.max_green_s + max_dt + 1e-9, f"{g} green {held} s at {now}"
            elif before is GroupState.YELLOW:
                assert state is GroupState.RED, f"{g} yellow -> {state} at {now}"
                assert held >= t.yellow_s - 1e-9, f"{g} yellow {held} s"
            elif state is GroupState.GREEN:
                assert held >= t.all_red_s - 1e-9, f"{g} green again {held} s after it went red"
                for other in layout.conflicts_of(g):
                    assert states[other] is GroupState.RED, f"{g} green while {other} is {states[other]}"
                    red_for = now - entered[other] if previous[other] is GroupState.RED else 0.0
                    assert red_for >= t.all_red_s - 1e-9, f"{g} green {red_for} s after {other} went red"
            entered[g] = now
        previous = dict(states)
    # Nothing stays green past max green at the end of the trace either.
    for g, state in previous.items():
        if state is GroupState.GREEN:
            assert statuses[-1].time - entered[g] <= t.max_green_s + max_dt + 1e-9


def _hostile_requests(layout: SignalLayout) -> st.SearchStrategy:
    names = sorted(layout.group_names)
    group_sets = st.frozensets(st.sampled_from(names))
    return st.one_of(
        st.sampled_from(layout.stages).map(SignalRequest),
        group_sets.map(lambda g: SignalRequest(g, "random")),
        st.frozensets(st.sampled_from([*names, "ghost", "", "north_in; DROP"])).map(SignalRequest),
        st.frozensets(st.integers()).map(SignalRequest),
        st.builds(SignalRequest, st.lists(st.sampled_from(names)).map(tuple)),
        st.none(),
        st.text(max_size=10),
        st.integers(),
        group_sets,
    )


@pytest.mark.parametrize("layout", [BUNDLED, THREE_STAGE], ids=["bundled", "three_stage"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_no_request_sequence_breaks_the_safety_rules(layout: SignalLayout, data: st.DataObject) -> None:
    fallback = FixedTimePlan(layout.stages, [10.0] * len(layout.stages))
    safety = SafetyLayer(layout, TIMINGS, fallback)
    requests = data.draw(st.lists(_hostile_requests(layout), min_size=20, max_size=120))
    # Requests are often repeated for a while, as an algorithm's would be: hold each for 1-40 ticks.
    holds = data.draw(st.lists(st.integers(1, 40), min_size=len(requests), max_size=len(requests)))
    statuses, now = [safety.status], 0.0
    for request, hold in zip(requests, holds):
        for _ in range(hold):
            now += 1.0
            statuses.append(safety.step(now, request))
    _checked_trace(layout, statuses, max_dt=1.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_irregular_clock_keeps_the_rules_within_one_step(data: st.DataObject) -> None:
    safety = SafetyLayer(BUNDLED, TIMINGS, FixedTimePlan(BUNDLED.stages, [10.0, 10.0]))
    statuses, now = [safety.status], 0.0
    for _ in range(data.draw(st.integers(20, 80))):
        request = data.draw(_hostile_requests(BUNDLED))
        # Each request held for a while, ticks of 0.05-2 s: a loaded controller does not tick evenly.
        for dt in data.draw(st.lists(st.floats(0.05, 2.0), min_size=1, max_size=20)):
            now += dt
            statuses.append(safety.step(now, request))
    _checked_trace(BUNDLED, statuses, max_dt=2.0)


LANES = {lane: 240.0 for group in BUNDLED.groups for lane in group.lanes}
finite = st.floats(0, 50)
HEALTHY = [LaneMeasurement(lane, 0.0, 3, 15.0, 0.2, 400.0) for lane in LANES]
hostile_number = st.one_of(finite, st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**6))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_hostile_measurements_never_break_the_rules(data: st.DataObject) -> None:
    guard = MeasurementGuard(LANES, stale_after_s=10)
    safety = SafetyLayer(BUNDLED, TIMINGS, FixedTimePlan(BUNDLED.stages, [10.0, 10.0]), guard=guard)
    batches = st.lists(st.builds(
        LaneMeasurement, lane=st.sampled_from([*LANES, "elsewhere"]), time=st.floats(-1e9, 1e9),
        vehicles=hostile_number, queue_length_m=hostile_number, occupancy=hostile_number,
        flow_veh_h=hostile_number), max_size=10)
    statuses, now = [safety.status], 0.0
    for _ in range(data.draw(st.integers(10, 40))):
        batch = data.draw(st.one_of(st.none(), st.just(HEALTHY), batches))
        request = data.draw(_hostile_requests(BUNDLED))
        for _ in range(data.draw(st.integers(1, 20))):
            now += 1.0
            if batch is not None:
                guard.accept(now, [LaneMeasurement(m.lane, now, m.vehicles, m.queue_length_m, m.occupancy,
                                                   m.flow_veh_h) if m.time >= 0 else m for m in batch])
            statuses.append(safety.step(now, request))
    _checked_trace(BUNDLED, statuses, max_dt=1.0)


def test_clock_going_back_is_refused() -> None:
    safety = SafetyLayer(BUNDLED, TIMINGS, FixedTimePlan(BUNDLED.stages, [10.0, 10.0]))
    safety.step(10.0, None)
    with pytest.raises(ValueError, match="must not go back"):
        safety.step(9.0, None)
    with pytest.raises(ValueError, match="must not go back"):
        safety.step(math.nan, None)


def test_conflicting_request_is_replaced_by_the_fixed_plan_and_reported() -> None:
    seen = []
    safety = SafetyLayer(BUNDLED, TIMINGS, FixedTimePlan(BUNDLED.stages, [10.0, 10.0]), on_intervention=seen.append)
    for now in range(1, 40):
        status = safety.step(float(now), SignalRequest(frozenset({"north_in", "east_in"}), "hostile"))
    assert [i.kind for i in seen] == ["invalid_request"]
    assert "conflicting" in seen[0].detail
    assert safety.in_fallback and status.green in BUNDLED.stages


def test_max_green_forces_the_next_stage_even_if_the_algorithm_insists() -> None:
    seen = []
    safety = SafetyLayer(BUNDLED, TIMINGS, FixedTimePlan(BUNDLED.stages, [10.0, 10.0]), on_intervention=seen.append)
    north_south = frozenset({"north_in", "south_in"})
    greens = []
    for now in range(1, 80):
        greens.append(safety.step(float(now), SignalRequest(north_south, "greedy")).green)
    assert frozenset({"east_in", "west_in"}) in greens
    assert "max_green" in [i.kind for i in seen]


class AlwaysNorthSouth:
    """An algorithm that never lets east-west go: only the safety layer's fall-back can serve it."""

    def decide(self, now: float, status: SignalStatus, measurements: object) -> SignalRequest:
        return SignalRequest(frozenset({"north_in", "south_in"}), "north-south only")


def test_stale_measurements_hand_control_to_the_fixed_plan_and_back() -> None:
    seen = []
    guard = MeasurementGuard(LANES, stale_after_s=10)
    timings = SafetyTimings(min_green_s=5, max_green_s=1000, yellow_s=3, all_red_s=2)
    safety = SafetyLayer(BUNDLED, timings, FixedTimePlan(BUNDLED.stages, [10.0, 10.0]), guard=guard,
                         on_intervention=seen.append)
    algorithm = AlwaysNorthSouth()
    east_west = frozenset({"east_in", "west_in"})
    phases = {"fresh": [], "stale": [], "fresh again": []}
    for now in range(1, 181):
        camera_up = now <= 60 or now > 120
        if camera_up:
            guard.accept(float(now), [LaneMeasurement(lane, float(now), 3, 15.0, 0.2, 400.0) for lane in LANES])
        status = safety.step(float(now), algorithm.decide(now, safety.status, guard.snapshot(now)))
        phases["fresh" if now <= 60 else "stale" if now <= 120 else "fresh again"].append(status)
    assert not any(east_west <= s.green for s in phases["fresh"])
    # Ten seconds after the last measurement the fixed plan takes over and serves east-west.
    assert not safety.in_fallback
    stale = phases["stale"]
    assert not stale[9].reason.startswith("fall-back") and stale[11].reason.startswith("fall-back")
    assert any(east_west <= s.green for s in stale)
    assert [i.kind for i in seen if i.kind.startswith("fallback")] == ["fallback", "fallback_released"]
    assert "stale measurements" in next(i.detail for i in seen if i.kind == "fallback")
    assert not any(east_west <= s.green for s in phases["fresh again"][20:])


def test_an_impossible_measurement_triggers_the_fall_back_at_once() -> None:
    guard = MeasurementGuard(LANES, stale_after_s=10)
    safety = SafetyLayer(BUNDLED, TIMINGS, FixedTimePlan(BUNDLED.stages, [10.0, 10.0]), guard=guard)
    guard.accept(1.0, [LaneMeasurement(lane, 1.0, 3, 15.0, 0.2, 400.0) for lane in LANES])
    safety.step(1.0, SignalRequest(frozenset({"north_in", "south_in"})))
    assert not safety.in_fallback
    problem = guard.accept(2.0, [LaneMeasurement("north_in_0", 2.0, 3, 15.0, 1.7, 400.0)])
    assert problem == "lane north_in_0: occupancy 1.7 is above 1"
    safety.step(2.0, SignalRequest(frozenset({"north_in", "south_in"})))
    assert safety.in_fallback
