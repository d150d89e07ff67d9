"""A time window split into spans that each read from one place: the latency roll-up's rows of one period length
(an hour, five minutes, a minute) where whole periods fit, raw samples for the rest (under a minute at each end).

    cover(start, end, (60, 3600))   # 10:00:30-13:30:10 -> raw 10:00:30-10:01, minutes 10:01-11:00,
                                    # hours 11:00-13:00, minutes 13:00-13:30, raw 13:30-13:30:10
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Span:
    """[start, end); `period_s`: read from the roll-up rows of that period length, or None: from raw samples."""

    start: datetime
    end: datetime
    period_s: int | None

    @property
    def start_s(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_s(self) -> int:
        return int(self.end.timestamp())


def cover(start: datetime, end: datetime, periods_s: Sequence[int]) -> list[Span]:
    """[start, end) as spans in time order: the longest period over the whole periods it holds, the shorter ones
    over the edges, raw samples over what is left."""
    if start >= end:
        return []
    if not periods_s:
        return [Span(start, end, None)]
    longest = max(periods_s)
    shorter = [p for p in periods_s if p != longest]
    first, last = _period_edge(start, longest, up=True), _period_edge(end, longest, up=False)
    if first >= last:
        return cover(start, end, shorter)
    return [*cover(start, first, shorter), Span(first, last, longest), *cover(last, end, shorter)]


def _period_edge(at: datetime, period_s: int, *, up: bool) -> datetime:
    """The start of a period (epoch-aligned, as the roll-up's) at or after `at` (up) or at or before it."""
    seconds = at.timestamp()
    edge = int(seconds // period_s) * period_s
    if up and edge < seconds:
        edge += period_s
    return datetime.fromtimestamp(edge, UTC)
