"""The link between simulation time and the host clocks: simulation time 0 is one monotonic and one wall-clock
instant, so a frame's capture stamps and the diverter's firing moments land on the same time line."""
from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LineClock:
    t0_monotonic: float
    t0_wall: float

    @classmethod
    def start_now(cls) -> "LineClock":
        return cls(time.monotonic(), time.time())

    @classmethod
    def starting_in(cls, seconds: float) -> "LineClock":
        """A line that starts `seconds` from now (time to connect services first); sim_now() is negative until then."""
        return cls(time.monotonic() + seconds, time.time() + seconds)

    def sim_now(self) -> float:
        return time.monotonic() - self.t0_monotonic

    def monotonic_at(self, t_sim: float) -> float:
        return self.t0_monotonic + t_sim

    def wall_at(self, t_sim: float) -> float:
        return self.t0_wall + t_sim
