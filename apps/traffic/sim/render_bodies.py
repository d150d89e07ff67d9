"""3D body shapes of the four vehicle classes, as a few convex parts each in the vehicle's own frame.

The vehicle frame has its origin at the front-bumper centre on the road (SUMO's vehicle position), x forward,
y to the left and z up, so a body of length L spans x in [-L, 0]. A per-vehicle seed picks the body style
(saloon, hatchback, SUV, van, box truck, articulated truck, ...) and the paint, so a vehicle looks the same
in every frame of a video.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VEHICLE_CLASSES: tuple[str, ...] = ("car", "bus", "truck", "motorcycle")
CAR, BUS, TRUCK, MOTORCYCLE = range(4)

# Faces of a part's 8 corners (bottom 0-3, top 4-7). Side and end faces start at their bottom edge, so a
# decal's (u, v) runs along the face and up it; on the sides u runs from the back to the front.
FACES: dict[str, tuple[int, int, int, int]] = {
    "bottom": (0, 1, 2, 3), "top": (4, 5, 6, 7), "front": (1, 2, 6, 5),
    "back": (0, 3, 7, 4), "right": (0, 1, 5, 4), "left": (3, 2, 6, 7),
}
Colour = tuple[float, float, float]
Decal = tuple[str, float, float, float, float, Colour]  # face, u0, u1, v0, v1, BGR

GLASS: Colour = (48.0, 42.0, 38.0)
TYRE: Colour = (30.0, 30.0, 32.0)
DARK_TRIM: Colour = (45.0, 45.0, 48.0)
HEADLIGHT: Colour = (215.0, 225.0, 230.0)
TAILLIGHT: Colour = (40.0, 40.0, 175.0)
# Roughly the colour mix of the European car fleet: white, black, greys and silver dominate.
CAR_PAINTS = np.array([(232, 232, 230), (26, 26, 30), (105, 106, 110), (172, 174, 178), (140, 72, 28),
                       (38, 36, 165), (58, 84, 44), (150, 178, 198), (40, 185, 230), (92, 58, 40)], np.float64)
CAR_PAINT_SHARES = np.array([0.24, 0.19, 0.16, 0.14, 0.08, 0.08, 0.03, 0.03, 0.02, 0.03])
FLEET_PAINTS = np.array([(235, 235, 235), (60, 140, 230), (40, 40, 180), (150, 110, 40), (60, 150, 60),
                         (40, 200, 240), (200, 200, 200)], np.float64)
CLOTHES = np.array([(30, 30, 30), (90, 60, 40), (40, 40, 140), (120, 120, 120), (20, 90, 160)], np.float64)


@dataclass(frozen=True)
class Part:
    """A convex block, possibly tapered (the top face spans `top_x` and `top_half_width`), centred sideways on
    `y`. `glass` faces are drawn as windows inside a frame of the part's colour."""

    x: tuple[float, float]
    top_x: tuple[float, float]
    half_width: float
    top_half_width: float
    z: tuple[float, float]
    colour: Colour
    y: float = 0.0
    glass: tuple[str, ...] = ()
    decals: tuple[Decal, ...] = ()

    def corners(self) -> np.ndarray:
        (x0, x1), (tx0, tx1), (z0, z1) = self.x, self.top_x, self.z
        wb, wt, y = self.half_width, self.top_half_width, self.y
        return np.array([(x0, y - wb, z0), (x1, y - wb, z0), (x1, y + wb, z0), (x0, y + wb, z0),
                         (tx0, y - wt, z1), (tx1, y - wt, z1), (tx1, y + wt, z1), (tx0, y + wt, z1)], dtype=np.float64)


def _block(x0: float, x1: float, half_width: float, z0: float, z1: float, colour: Colour, **kw) -> Part:
    return Part((x0, x1), (x0, x1), half_width, half_width, (z0, z1), colour, **kw)


def _wheels(axles_x: list[float], half_width: float, radius: float, tyre_width: float) -> list[Part]:
    """Tyres as blocks; only their outer sides and treads ever show beside and under the body."""
    y = half_width - tyre_width / 2 + 0.02
    return [_block(x - radius, x + radius, tyre_width / 2, 0.0, 2 * radius, TYRE, y=side * y)
            for x in axles_x for side in (-1.0, 1.0)]


def _lights(front_v: tuple[float, float], back_v: tuple[float, float]) -> tuple[Decal, ...]:
    return (("front", 0.06, 0.22, *front_v, HEADLIGHT), ("front", 0.78, 0.94, *front_v, HEADLIGHT),
            ("back", 0.05, 0.2, *back_v, TAILLIGHT), ("back", 0.8, 0.95, *back_v, TAILLIGHT))


def _car(length: float, width: float, height: float, rng: np.random.Generator) -> list[Part]:
    paint = tuple(np.clip(CAR_PAINTS[rng.choice(len(CAR_PAINTS), p=CAR_PAINT_SHARES)] + rng.normal(0, 6, 3), 0, 255))
    style = rng.choice(["saloon", "hatchback", "suv", "van"], p=[0.4, 0.3, 0.22, 0.08])
    # Cabin foot and roof spans as fractions of the length from the front, and the belt line as a share of height.
    cabin, roof, belt = {"saloon": ((0.30, 0.80), (0.45, 0.71), 0.58), "hatchback": ((0.32, 0.96), (0.48, 0.93), 0.56),
                         "suv": ((0.30, 0.97), (0.42, 0.95), 0.56), "van": ((0.14, 0.99), (0.30, 0.98), 0.48)}[style]
    half, clearance = width / 2, 0.28 if style in ("suv", "van") else 0.2
    belt_z = belt * height
    radius = 0.36 if style in ("suv", "van") else 0.31
    return [
        *_wheels([-0.17 * length, -0.83 * length], half, radius, 0.22),
        Part((-length, 0.0), (-length + 0.12, -0.12), half, half - 0.05, (clearance, belt_z), paint,
             decals=_lights((0.55, 0.8), (0.6, 0.85))),
        Part((-cabin[1] * length, -cabin[0] * length), (-roof[1] * length, -roof[0] * length), half - 0.06,
             half * 0.8, (belt_z, height), paint, glass=("front", "back", "left", "right")),
    ]


def _bus(length: float, width: float, height: float, rng: np.random.Generator) -> list[Part]:
    paint = tuple(FLEET_PAINTS[rng.integers(len(FLEET_PAINTS))])
    stripe = tuple(FLEET_PAINTS[rng.integers(len(FLEET_PAINTS))])
    half = width / 2
    decals = (
        ("left", 0.03, 0.97, 0.5, 0.88, GLASS), ("right", 0.03, 0.97, 0.5, 0.88, GLASS),
        ("right", 0.78, 0.9, 0.06, 0.86, GLASS), ("right", 0.35, 0.47, 0.06, 0.86, GLASS),
        ("front", 0.04, 0.96, 0.3, 0.93, GLASS), ("back", 0.1, 0.9, 0.58, 0.9, GLASS),
        ("left", 0.0, 1.0, 0.3, 0.38, stripe), ("right", 0.0, 1.0, 0.3, 0.38, stripe),
        *_lights((0.08, 0.2), (0.1, 0.25)),
    )
    axles = [-2.6, -length + 3.0] if length < 13.5 else [-2.6, -length * 0.55, -length + 2.5]
    return [*_wheels(axles, half, 0.5, 0.3), Part((-length, 0.0), (-length + 0.05, -0.08), half, half - 0.05,
                                                  (0.32, height), paint, decals=decals)]


def _truck(length: float, width: float, height: float, rng: np.random.Generator) -> list[Part]:
    cab_paint = tuple(FLEET_PAINTS[rng.integers(len(FLEET_PAINTS))])
    cargo_paint = tuple(np.clip(rng.choice([(225, 225, 225), (180, 180, 185), cab_paint]) + rng.normal(0, 5, 3), 0, 255))
    half = width / 2
    cab_len, cab_h = 2.2, min(height, 2.9 + 0.1 * rng.random())
    cab_decals = (("front", 0.05, 0.95, 0.52, 0.9, GLASS), ("left", 0.6, 0.95, 0.55, 0.88, GLASS),
                  ("right", 0.6, 0.95, 0.55, 0.88, GLASS), ("front", 0.06, 0.2, 0.12, 0.24, HEADLIGHT),
                  ("front", 0.8, 0.94, 0.12, 0.24, HEADLIGHT))
    articulated = length > 11.0
    gap = 0.9 if articulated else 0.25
    axles = [-1.3, -length + 1.3, -length + 2.6] if articulated else [-1.3, -length + 1.5]
    cargo_floor = 1.2 if articulated else 1.0
    return [
        *_wheels(axles, half, 0.5, 0.3),
        _block(-length + 0.4, -0.4, half - 0.45, 0.5, cargo_floor, DARK_TRIM),
        Part((-cab_len, 0.0), (-cab_len, -0.25), half, half - 0.05, (0.55, cab_h), cab_paint, decals=cab_decals),
        _block(-length, -cab_len - gap, half, cargo_floor, height, cargo_paint,
               decals=(("back", 0.05, 0.18, 0.02, 0.08, TAILLIGHT), ("back", 0.82, 0.95, 0.02, 0.08, TAILLIGHT))),
    ]


def _motorcycle(length: float, width: float, height: float, rng: np.random.Generator) -> list[Part]:
    paint = tuple(CAR_PAINTS[rng.integers(len(CAR_PAINTS))])
    clothes = tuple(CLOTHES[rng.integers(len(CLOTHES))])
    helmet = tuple(CAR_PAINTS[rng.integers(len(CAR_PAINTS))])
    half = width / 2
    seat_z, shoulder_z = 0.45 * height, 0.86 * height
    return [
        _block(-0.62, 0.0, 0.06, 0.0, 0.62, TYRE),
        _block(-length, -length + 0.62, 0.07, 0.0, 0.62, TYRE),
        Part((-0.8 * length, -0.15 * length), (-0.75 * length, -0.25 * length), 0.17, 0.2, (0.3, seat_z), paint,
             decals=(("front", 0.25, 0.75, 0.7, 0.95, HEADLIGHT),)),
        Part((-0.66 * length, -0.42 * length), (-0.6 * length, -0.4 * length), half * 0.55, half * 0.6,
             (seat_z, shoulder_z), clothes),
        _block(-0.55 * length, -0.42 * length, 0.13, shoulder_z, height, helmet),
    ]


BUILDERS = {CAR: _car, BUS: _bus, TRUCK: _truck, MOTORCYCLE: _motorcycle}


def body_parts(class_id: int, length: float, width: float, height: float, seed: int) -> list[Part]:
    """Parts of one body in drawing order (inner and lower parts first)."""
    return BUILDERS[int(class_id)](float(length), float(width), float(height), np.random.default_rng(int(seed)))
