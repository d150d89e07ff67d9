"""The timing diagram and cycle figures read off a controller's state changes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from edgesight.dashboards.traffic.signal_timing import (
    colour_intervals, cycles_per_bucket, green_cycles, merge_groups_in_step,
)

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def states(*changes: tuple[float, str, str]) -> pd.DataFrame:
    """(seconds after T0, colour of A, colour of B) per state change."""
    return pd.DataFrame([{"time": T0 + timedelta(seconds=s), "phase": "p", "plan_id": "max-pressure",
                          "groups": {"A": a, "B": b}, "reason": ""} for s, a, b in changes])


TWO_CYCLES = states((-5, "green", "red"), (20, "amber", "red"), (23, "red", "red"), (25, "red", "green"),
                    (45, "red", "amber"), (48, "red", "red"), (50, "green", "red"), (80, "amber", "red"),
                    (83, "red", "red"), (85, "red", "green"), (100, "red", "green"))


def test_intervals_follow_the_changes_and_clip_to_the_window() -> None:
    intervals = colour_intervals(TWO_CYCLES, T0, T0 + timedelta(seconds=110))
    a = intervals[intervals.group == "A"]
    assert list(a.colour) == ["green", "amber", "red", "green", "amber", "red"]
    assert a.start.iloc[0] == T0 and bool(a.clipped.iloc[0]), "the first green began before the window"
    b = intervals[intervals.group == "B"]
    assert b.end.iloc[-1] == T0 + timedelta(seconds=110), "the last state holds to the end"
    assert (b.colour == "green").sum() == 2, "a republished unchanged state does not split an interval"


def test_cycles_run_green_start_to_green_start() -> None:
    cycles = green_cycles(colour_intervals(TWO_CYCLES, T0, T0 + timedelta(seconds=110)))
    b = cycles[cycles.group == "B"]
    assert b.cycle_s.tolist() == [60.0] and b.green_s.tolist() == [20.0]
    assert b.split.iloc[0] == 20.0 / 60.0
    assert cycles[cycles.group == "A"].empty, "A's first green began before the window: no known cycle start"


def test_groups_in_step_become_one_series() -> None:
    in_step = states((0, "green", "green"), (20, "red", "red"), (30, "green", "green"), (50, "red", "red"),
                     (60, "green", "green"))
    cycles = merge_groups_in_step(green_cycles(colour_intervals(in_step, T0 - timedelta(seconds=1),
                                                                T0 + timedelta(seconds=70))))
    assert cycles.group.tolist() == ["A + B", "A + B"] and cycles.cycle_s.tolist() == [30.0, 30.0]


def test_cycles_per_bucket_take_the_median_cycle_and_the_overall_split() -> None:
    cycles = pd.DataFrame({"group": ["A", "A", "A"], "green_start": [T0] * 3,
                           "cycle_end": [T0 + timedelta(seconds=s) for s in (10, 40, 70)],
                           "cycle_s": [30.0, 60.0, 90.0], "green_s": [10.0, 10.0, 40.0], "split": [0.0] * 3})
    per_bucket = cycles_per_bucket(cycles, 60)
    assert per_bucket.cycle_s.tolist() == [45.0, 90.0] and per_bucket.cycles.tolist() == [2, 1]
    assert per_bucket.split.tolist() == [20.0 / 90.0, 40.0 / 90.0]
