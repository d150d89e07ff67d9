"""The diverter at the end of the simulated line: a paddle that, when fired, pushes off whichever part's centre is
within `window_mm` of the diverter line at that moment (or nothing). It is the first DiverterActuator: the
evaluation reads escapes and false rejects from what it actually hit."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .clock import LineClock
from .conveyor import ConveyorSimulator


@dataclass(frozen=True, slots=True)
class DiverterStroke:
    t_sim: float
    requested_for: str  # the part id the controller fired for
    hit: int | None  # index of the part the paddle pushed off, None if it struck empty belt


class SimulatedDiverter:
    def __init__(self, line: ConveyorSimulator, clock: LineClock, window_mm: float = 40.0) -> None:
        self.line = line
        self.clock = clock
        self.window_mm = window_mm
        self.strokes: list[DiverterStroke] = []

    async def fire(self, part_id: str, due_wall: float) -> None:
        # The line's wall clock is the controller's (one host here; NTP across hosts on a real line).
        await asyncio.sleep(max(due_wall - self.clock.t0_wall - self.clock.sim_now(), 0.0))
        t = self.clock.sim_now()
        x = self.line.line.diverter_mm
        near = self.line.parts_within(t, x - self.window_mm, x + self.window_mm)
        self.strokes.append(DiverterStroke(t, part_id, near[0].spec.part_id if near else None))

    def diverted(self) -> set[int]:
        return {s.hit for s in self.strokes if s.hit is not None}
