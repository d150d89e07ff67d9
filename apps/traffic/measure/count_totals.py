"""Running totals of line crossings, for the summary a run prints at its end."""
from __future__ import annotations

from collections import Counter

from edgesight.core.frame import Frame

from .line_counter import LineCrossing


class CountTotals:
    """`add(frame, crossing)` (a TrafficSink crossing handler); `table()` -> vehicles per line, direction, lane
    and class as text."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()  # (line, direction, lane, class) -> vehicles

    def add(self, frame: Frame, crossing: LineCrossing) -> None:
        self.counts[(crossing.line, crossing.direction, crossing.lane or "-", crossing.vehicle_class)] += 1

    def by_direction(self) -> Counter:
        """(line, direction) -> vehicles."""
        out: Counter = Counter()
        for (line, direction, _, _), n in self.counts.items():
            out[(line, direction)] += n
        return out

    def table(self) -> str:
        lines = [f"{'line':<18}{'direction':<11}{'vehicles':>9}   per lane and class"]
        for (line, direction), total in sorted(self.by_direction().items()):
            detail = Counter()
            for (l, d, lane, cls), n in self.counts.items():
                if (l, d) == (line, direction):
                    detail[f"{lane} {cls}"] += n
            parts = ", ".join(f"{key} {n}" for key, n in sorted(detail.items()))
            lines.append(f"{line:<18}{direction:<11}{total:>9}   {parts}")
        if len(lines) == 1:
            lines.append("(no vehicle crossed a counting line)")
        return "\n".join(lines)
