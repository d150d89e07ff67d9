"""Geometry of a four-arm intersection in road-plane metres: lane centre lines, stop lines and the paths that
join an entry lane to an exit lane across the junction.

It is what the renderers draw and what the data-set generator places vehicles on. The default matches the
project's SUMO scenario (250 m arms, 2 lanes each way, 3.2 m lanes, right-hand traffic); lanes are indexed the
SUMO way, 0 = rightmost.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Compass unit vectors pointing from the junction centre out along each arm.
# Names as in the bundled SUMO net (edges `<arm>_in` / `<arm>_out`), so lane names here are SUMO lane ids.
ARM_DIRECTIONS: dict[str, tuple[float, float]] = {"north": (0.0, 1.0), "east": (1.0, 0.0), "south": (0.0, -1.0), "west": (-1.0, 0.0)}


@dataclass(frozen=True)
class LanePath:
    """A polyline a vehicle drives along, with arc-length lookups of position and SUMO heading."""

    name: str
    points: np.ndarray  # (N, 2) metres, in driving order
    cumulative: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        steps = np.linalg.norm(np.diff(self.points, axis=0), axis=1)
        object.__setattr__(self, "cumulative", np.concatenate([[0.0], np.cumsum(steps)]))

    @property
    def length(self) -> float:
        return float(self.cumulative[-1])

    def pose_at(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions (N, 2) and headings in degrees (0 = north, clockwise) at arc lengths `s` (clamped to the path)."""
        s = np.clip(np.asarray(s, dtype=np.float64).reshape(-1), 0.0, self.length)
        seg = np.clip(np.searchsorted(self.cumulative, s, side="right") - 1, 0, len(self.points) - 2)
        a, b = self.points[seg], self.points[seg + 1]
        span = np.maximum(self.cumulative[seg + 1] - self.cumulative[seg], 1e-9)
        xy = a + ((s - self.cumulative[seg]) / span)[:, None] * (b - a)
        heading = np.degrees(np.arctan2(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])) % 360.0
        return xy, heading


@dataclass(frozen=True)
class Connection:
    """One way through the junction: from an entry lane's stop line to the start of an exit lane."""

    entry_arm: str
    entry_lane: int
    exit_arm: str
    exit_lane: int
    movement: str  # "left", "through" or "right"
    path: LanePath


@dataclass(frozen=True)
class IntersectionLayout:
    """Four arms around (center_x, center_y); entry lanes end at the stop line `stop_line_m` from the centre."""

    center_x: float = 0.0
    center_y: float = 0.0
    arm_length_m: float = 250.0
    lanes_per_direction: int = 2
    lane_width_m: float = 3.2
    stop_line_m: float = 10.4  # half road width + kerb radius, where the bundled net's entry lanes end

    def __post_init__(self) -> None:
        if self.stop_line_m <= self.half_width_m:
            raise ValueError(f"IntersectionLayout stop_line_m={self.stop_line_m} must exceed the half road width {self.half_width_m}")

    @property
    def half_width_m(self) -> float:
        return self.lanes_per_direction * self.lane_width_m

    @property
    def arms(self) -> tuple[str, ...]:
        return tuple(ARM_DIRECTIONS)

    @property
    def center(self) -> np.ndarray:
        return np.array([self.center_x, self.center_y])

    def _lane_offset(self, arm: str, lane: int, inbound: bool) -> tuple[np.ndarray, np.ndarray]:
        """Travel direction of the lane and its centre line's offset from the arm axis."""
        out = np.array(ARM_DIRECTIONS[arm])
        travel = -out if inbound else out
        right = np.array([travel[1], -travel[0]])
        return travel, right * (self.lanes_per_direction - lane - 0.5) * self.lane_width_m

    def entry_lane(self, arm: str, lane: int) -> LanePath:
        """Lane `lane` of the traffic arriving on `arm`, from the arm's far end to its stop line."""
        travel, offset = self._lane_offset(arm, lane, inbound=True)
        start = self.center + offset - travel * self.arm_length_m
        end = self.center + offset - travel * self.stop_line_m
        return LanePath(f"{arm}_in_{lane}", np.array([start, end]))

    def exit_lane(self, arm: str, lane: int) -> LanePath:
        """Lane `lane` of the traffic leaving on `arm`, from the junction edge to the arm's far end."""
        travel, offset = self._lane_offset(arm, lane, inbound=False)
        start = self.center + offset + travel * self.stop_line_m
        end = self.center + offset + travel * self.arm_length_m
        return LanePath(f"{arm}_out_{lane}", np.array([start, end]))

    def stop_line(self, arm: str) -> np.ndarray:
        """(2, 2) endpoints of the stop line across the entry lanes of `arm`."""
        out = np.array(ARM_DIRECTIONS[arm])
        right_of_entry = np.array([-out[1], out[0]])
        base = self.center + out * self.stop_line_m
        return np.array([base, base + right_of_entry * self.half_width_m])

    def connections(self) -> list[Connection]:
        """Rightmost lane turns right or goes through, leftmost turns left or goes through (no U-turns)."""
        result = []
        last = self.lanes_per_direction - 1
        for entry in self.arms:
            travel_in = -np.array(ARM_DIRECTIONS[entry])
            for exit_ in self.arms:
                if exit_ == entry:
                    continue
                travel_out = np.array(ARM_DIRECTIONS[exit_])
                turn = travel_in[0] * travel_out[1] - travel_in[1] * travel_out[0]
                movement = "left" if turn > 0.5 else "right" if turn < -0.5 else "through"
                lanes = {"right": [0], "left": [last], "through": list(range(self.lanes_per_direction))}[movement]
                for lane in lanes:
                    a = self.entry_lane(entry, lane).points[-1]
                    b = self.exit_lane(exit_, lane).points[0]
                    result.append(Connection(entry, lane, exit_, lane, movement, self._turn_path(a, travel_in, b, travel_out, f"{entry}_{lane}->{exit_}_{lane}")))
        return result

    @staticmethod
    def _turn_path(a: np.ndarray, travel_in: np.ndarray, b: np.ndarray, travel_out: np.ndarray, name: str) -> LanePath:
        """Quadratic Bezier whose control point is where the entry and exit lane lines meet; straight when parallel."""
        det = travel_in[0] * (-travel_out[1]) - travel_in[1] * (-travel_out[0])
        if abs(det) < 1e-9:
            return LanePath(name, np.array([a, b]))
        t = ((b - a)[0] * (-travel_out[1]) - (b - a)[1] * (-travel_out[0])) / det
        control = a + t * travel_in
        u = np.linspace(0.0, 1.0, 16)[:, None]
        return LanePath(name, (1 - u) ** 2 * a + 2 * (1 - u) * u * control + u**2 * b)
