"""What the safety layer shows (SignalStatus) and what an algorithm asks for (SignalRequest)."""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class GroupState(enum.Enum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


@dataclass(frozen=True)
class SignalRequest:
    """The groups an algorithm wants green now, and why (the reason is published with the change)."""

    green: frozenset[str]
    reason: str = ""


@dataclass(frozen=True)
class SignalStatus:
    """Every group's state at `time` and when it entered that state (seconds, the controller's clock)."""

    time: float
    states: Mapping[str, GroupState]
    since: Mapping[str, float]
    reason: str = ""

    @property
    def green(self) -> frozenset[str]:
        return frozenset(g for g, s in self.states.items() if s is GroupState.GREEN)

    def elapsed(self, group: str) -> float:
        """Seconds `group` has been in its current state."""
        return self.time - self.since[group]

    def green_elapsed(self, groups: frozenset[str]) -> float | None:
        """Seconds all of `groups` have been green together; None if any of them is not green."""
        if not groups or not groups <= self.green:
            return None
        return min(self.elapsed(g) for g in groups)
