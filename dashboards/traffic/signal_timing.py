"""Signal timing read off a controller's state changes: what colour each signal group showed when (a timing
diagram), and per group each cycle (green start to the next green start) with the share of it that was green.

A cycle is measured per group, because an adaptive controller (max-pressure) has no fixed cycle: the time
between two greens of a group is the cycle that group's drivers live with.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd

INTERVAL_COLUMNS = ["group", "colour", "start", "end", "phase", "plan_id", "clipped"]
CYCLE_COLUMNS = ["group", "green_start", "cycle_end", "cycle_s", "green_s", "split"]


def colour_intervals(changes: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    """One row per stretch of one colour of one group, clipped to [start, end) (`clipped`: it began before
    `start`). `changes` has a state per row (time, phase, plan_id, groups: {group: colour}) in time order; each
    holds until the next."""
    rows: list[dict[str, object]] = []
    open_since: dict[str, tuple[str, datetime, str, str]] = {}
    # Plain columns, not itertuples: a day holds some 12,000 changes, and per-row pandas access cost half the time.
    times = pd.to_datetime(changes.time, utc=True).dt.to_pydatetime()
    for time, groups, phase, plan_id in zip(times, changes.groups, changes.phase, changes.plan_id, strict=True):
        at = max(time, start)
        for group, colour in groups.items():
            current = open_since.get(group)
            if current is not None and current[0] == colour:
                continue
            if current is not None and at > current[1]:
                rows.append(_interval(group, current, at, start))
            open_since[group] = (colour, at, phase, plan_id)
    rows += [_interval(group, current, end, start) for group, current in open_since.items() if end > current[1]]
    return pd.DataFrame(rows, columns=INTERVAL_COLUMNS).sort_values(["group", "start"], ignore_index=True)


def _interval(group: str, current: tuple[str, datetime, str, str], until: datetime,
              start: datetime) -> dict[str, object]:
    colour, since, phase, plan_id = current
    return {"group": group, "colour": colour, "start": since, "end": until, "phase": phase, "plan_id": plan_id,
            "clipped": since <= start}


def green_cycles(intervals: pd.DataFrame) -> pd.DataFrame:
    """Per group, each complete cycle: from the start of a green to the start of the next one (a green that
    began before the window has no known start and opens no cycle)."""
    rows = []
    greens = intervals[(intervals.colour == "green") & ~intervals.clipped.astype(bool)]
    for group, group_greens in greens.groupby("group"):
        starts, ends = list(group_greens.start), list(group_greens.end)
        for this_start, this_end, next_start in zip(starts[:-1], ends[:-1], starts[1:], strict=True):
            cycle = (next_start - this_start).total_seconds()
            green = (this_end - this_start).total_seconds()
            rows.append({"group": group, "green_start": this_start, "cycle_end": next_start, "cycle_s": cycle,
                         "green_s": green, "split": green / cycle})
    return pd.DataFrame(rows, columns=CYCLE_COLUMNS)


def merge_groups_in_step(cycles: pd.DataFrame) -> pd.DataFrame:
    """Groups that turn green and end green together (one stage) as one row named 'a + b', so that lines which
    would lie on top of each other in a chart are one line with both names."""
    if cycles.empty:
        return cycles
    keys = ["green_start", "cycle_end", "cycle_s", "green_s", "split"]
    merged = cycles.groupby(keys, as_index=False, sort=False).agg(group=("group", lambda g: " + ".join(sorted(g))))
    return merged[CYCLE_COLUMNS]


def cycles_per_bucket(cycles: pd.DataFrame, bucket_s: int) -> pd.DataFrame:
    """Per time bucket (by the cycle's end) and group: the median cycle length and the green split of all its
    cycles together (green time over cycle time), so a long window draws one point per bucket, not per cycle."""
    if cycles.empty:
        return pd.DataFrame(columns=["time", "group", "cycle_s", "split", "cycles"])
    ends = pd.to_datetime(cycles.cycle_end, utc=True)
    buckets = cycles.assign(time=ends.dt.floor(f"{bucket_s}s"))
    grouped = buckets.groupby(["time", "group"], as_index=False).agg(
        cycle_s=("cycle_s", "median"), green_s=("green_s", "sum"), total_s=("cycle_s", "sum"),
        cycles=("cycle_s", "size"))
    grouped["split"] = grouped.green_s / grouped.total_s
    return grouped[["time", "group", "cycle_s", "split", "cycles"]]
