"""The simulated line: parts enter at a set rate, ride the belt at a set speed under the camera and on to the
diverter. Positions are millimetres along the belt from the camera's optical axis (+ downstream) and across it
from the belt's centre line (+ towards the bottom of the image); times are seconds of simulation time.

Part k is fully determined by (seed, k), so the line is the same whatever is asked of it and in which order."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .parts import PART_KINDS, PartSampler, PartSpec

# The largest part footprint on the belt (a 105 x 68 mm board turned corner-on), plus the clearance a
# singulating feeder leaves between parts.
MAX_PART_EXTENT_MM = 126.0
MIN_CLEARANCE_MM = 10.0


@dataclass(frozen=True, slots=True)
class LineSpec:
    rate_hz: float = 4.0  # parts entering per second
    belt_speed_mps: float = 0.7
    diverter_mm: float = 800.0  # diverter line, downstream of the camera axis
    belt_width_mm: float = 190.0
    entry_jitter: float = 0.1  # each entry may shift by this fraction of the nominal gap
    defect_share: float = 0.1
    lead_in_mm: float = 350.0  # where the first part's centre is at time 0, upstream of the camera axis
    seed: int = 0
    kinds: tuple[str, ...] = PART_KINDS

    def __post_init__(self) -> None:
        if self.rate_hz <= 0 or self.belt_speed_mps <= 0:
            raise ValueError(f"line rate {self.rate_hz}/s and belt speed {self.belt_speed_mps} m/s must be positive")
        gap = self.speed_mm_s / self.rate_hz * (1 - 2 * self.entry_jitter)
        if gap < MAX_PART_EXTENT_MM + MIN_CLEARANCE_MM:
            fastest = self.speed_mm_s * (1 - 2 * self.entry_jitter) / (MAX_PART_EXTENT_MM + MIN_CLEARANCE_MM)
            raise ValueError(f"{self.rate_hz} parts/s at {self.belt_speed_mps} m/s leaves {gap:.0f} mm between parts, "
                             f"they would touch: raise the belt speed or keep the rate <= {fastest:.2f} parts/s")
        if self.diverter_mm <= 0:
            raise ValueError(f"diverter_mm={self.diverter_mm}: the diverter must be downstream of the camera (> 0)")

    @property
    def speed_mm_s(self) -> float:
        return self.belt_speed_mps * 1000.0


@dataclass(frozen=True, slots=True)
class PartOnBelt:
    spec: PartSpec
    t_axis: float  # when its centre crosses the camera axis
    lateral_mm: float
    speed_mm_s: float

    def x_mm(self, t: float) -> float:
        return (t - self.t_axis) * self.speed_mm_s

    def time_at(self, x_mm: float) -> float:
        """When its centre reaches x_mm along the belt."""
        return self.t_axis + x_mm / self.speed_mm_s


class ConveyorSimulator:
    def __init__(self, line: LineSpec) -> None:
        self.line = line
        self.sampler = PartSampler(line.defect_share, line.kinds)
        self._period = 1.0 / line.rate_hz
        self._t0 = line.lead_in_mm / line.speed_mm_s
        self._cache: dict[int, PartOnBelt] = {}

    def part(self, k: int) -> PartOnBelt:
        if k < 0:
            raise ValueError(f"part index {k} is negative: parts are numbered from 0")
        if k not in self._cache:
            rng = np.random.default_rng([self.line.seed, k])
            spec = self.sampler.sample(rng, k)
            t_axis = self._t0 + k * self._period + rng.uniform(-1, 1) * self.line.entry_jitter * self._period
            w, h = spec.size_mm
            half = (w if spec.kind == "disc" else math.hypot(w, h)) / 2
            room = max(self.line.belt_width_mm / 2 - half - 5.0, 0.0)
            self._cache[k] = PartOnBelt(spec, t_axis, float(rng.uniform(-room, room)), self.line.speed_mm_s)
        return self._cache[k]

    def parts_within(self, t: float, x_lo: float, x_hi: float) -> list[PartOnBelt]:
        """Parts whose centre lies in [x_lo, x_hi] at time t."""
        # Centre at x means t_axis = t - x / v; invert the schedule with one period of slack for the jitter.
        first = math.floor((t - x_hi / self.line.speed_mm_s - self._t0) / self._period) - 1
        last = math.ceil((t - x_lo / self.line.speed_mm_s - self._t0) / self._period) + 1
        found = [self.part(k) for k in range(max(first, 0), max(last + 1, 0))]
        return [p for p in found if x_lo <= p.x_mm(t) <= x_hi]

    def parts_passed(self, x_mm: float, t_from: float, t_to: float) -> list[PartOnBelt]:
        """Parts whose centre crossed x_mm in (t_from, t_to]."""
        span = self.line.speed_mm_s * (t_to - t_from)
        return [p for p in self.parts_within(t_to, x_mm, x_mm + span) if t_from < p.time_at(x_mm) <= t_to]
