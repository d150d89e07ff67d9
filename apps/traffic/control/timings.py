"""The timing limits the safety layer enforces on every signal group, whatever is requested."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SafetyTimings:
    """Seconds. Yellow and all-red are served in full on every change; a green lasts at least `min_green_s`
    and at most `max_green_s`."""

    min_green_s: float = 5.0
    max_green_s: float = 60.0
    yellow_s: float = 3.0
    all_red_s: float = 2.0

    def __post_init__(self) -> None:
        values = {"min_green_s": self.min_green_s, "max_green_s": self.max_green_s, "yellow_s": self.yellow_s,
                  "all_red_s": self.all_red_s}
        for name, value in values.items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"SafetyTimings {name}={value}: must be a finite number of seconds >= 0")
        if self.min_green_s <= 0 or self.yellow_s <= 0:
            raise ValueError("SafetyTimings: min_green_s and yellow_s must be above 0 (a green and a yellow must show)")
        if self.max_green_s < self.min_green_s:
            raise ValueError(
                f"SafetyTimings max_green_s={self.max_green_s} < min_green_s={self.min_green_s}: raise max_green_s"
            )
