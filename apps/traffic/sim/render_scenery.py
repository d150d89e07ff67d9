"""Roadside props around the intersection: buildings in the corners, trees and street lights along the arms,
signal poles at the stop lines. They occlude vehicles and cast shadows like real ones, and give the detector
upright, box-like things that are not vehicles."""
from __future__ import annotations

import numpy as np

from .render_bodies import GLASS, Part
from .render_layout import ARM_DIRECTIONS, IntersectionLayout
from .render_vehicle import Solid

FACADES = np.array([(170, 190, 210), (150, 150, 155), (70, 90, 150), (200, 205, 205), (120, 140, 160), (95, 110, 120)], float)
FOLIAGE = np.array([(50, 100, 60), (40, 85, 55), (60, 115, 80), (45, 95, 90)], float)
POLE_GREY = (120.0, 122.0, 125.0)
SIGNAL_HEAD = (30.0, 30.0, 32.0)


def _block(centre_xy: np.ndarray, along: np.ndarray, size: tuple[float, float], z: tuple[float, float], colour,
           top_scale: float = 1.0, decals: tuple = ()) -> tuple[Part, np.ndarray]:
    """A block of ground size (length along `along`, width across) standing on `centre_xy`, placed in the world."""
    length, width = size
    part = Part((-length / 2, length / 2), (-length / 2 * top_scale, length / 2 * top_scale), width / 2,
                width / 2 * top_scale, z, tuple(float(c) for c in colour), decals=decals)
    local = part.corners()
    left = np.array([-along[1], along[0]])
    xy = centre_xy + local[:, :1] * along + local[:, 1:2] * left
    return part, np.column_stack([xy, local[:, 2]])


class RoadsideScenery:
    """`sample(rng)` -> a fresh set of props (a list of world-placed solids) around `layout`."""

    def __init__(self, layout: IntersectionLayout, reach_m: float = 160.0) -> None:
        self.layout = layout
        self.reach_m = reach_m

    def sample(self, rng: np.random.Generator) -> list[Solid]:
        lay = self.layout
        c, hw, j = lay.center, lay.half_width_m, lay.stop_line_m
        props: list[Solid] = []
        for arm, (dx, dy) in ARM_DIRECTIONS.items():
            out, left_of_out = np.array([dx, dy]), np.array([-dy, dx])
            for side in (-1.0, 1.0):
                kerb = hw + 3.5
                # Trees or street lights line the arm at irregular spacing.
                s = j + rng.uniform(5, 15)
                while s < self.reach_m:
                    at = c + out * s + left_of_out * side * (kerb + rng.uniform(1.0, 4.0))
                    props.append(self._tree(at, rng) if rng.random() < 0.7 else self._street_light(at, -side * left_of_out, out))
                    s += rng.uniform(8, 30)
                # A row of buildings set back from the road, with gaps.
                s = j + rng.uniform(8, 20)
                while s < self.reach_m and rng.random() < 0.85:
                    length = rng.uniform(10, 30)
                    depth = rng.uniform(8, 18)
                    at = c + out * (s + length / 2) + left_of_out * side * (kerb + rng.uniform(6, 20) + depth / 2)
                    props.append(self._building(at, out, (length, depth), rng))
                    s += length + rng.uniform(3, 25)
            # Signal pole on the kerb beside the stop line, head facing the arriving traffic.
            pole_at = c + out * (j + 1.0) + left_of_out * (hw + 1.0)
            props.append(self._signal(pole_at, out))
        return props

    @staticmethod
    def _tree(at: np.ndarray, rng: np.random.Generator) -> Solid:
        trunk_h, crown = rng.uniform(1.8, 3.5), rng.uniform(2.5, 6.0)
        height = trunk_h + rng.uniform(2.5, 7.0)
        colour = FOLIAGE[rng.integers(len(FOLIAGE))] + rng.normal(0, 8, 3)
        axis = np.array([1.0, 0.0])
        return [_block(at, axis, (0.35, 0.35), (0.0, trunk_h + 0.5), (50, 65, 80)),
                _block(at, axis, (crown, crown), (trunk_h, height), colour, top_scale=0.45)]

    @staticmethod
    def _street_light(at: np.ndarray, towards_road: np.ndarray, along: np.ndarray) -> Solid:
        return [_block(at, along, (0.22, 0.22), (0.0, 8.0), POLE_GREY),
                _block(at + towards_road * 1.2, towards_road, (2.6, 0.18), (7.8, 8.0), POLE_GREY),
                _block(at + towards_road * 2.3, towards_road, (0.7, 0.3), (7.65, 7.85), (200, 205, 210))]

    @staticmethod
    def _signal(at: np.ndarray, out: np.ndarray) -> Solid:
        return [_block(at, out, (0.2, 0.2), (0.0, 3.4), POLE_GREY),
                _block(at + out * 0.25, out, (0.3, 0.35), (2.4, 3.4), SIGNAL_HEAD,
                       decals=(("front", 0.2, 0.8, 0.7, 0.9, (40, 40, 200)), ("front", 0.2, 0.8, 0.1, 0.3, (60, 200, 60))))]

    @staticmethod
    def _building(at: np.ndarray, along: np.ndarray, size: tuple[float, float], rng: np.random.Generator) -> Solid:
        floors = int(rng.integers(1, 7))
        height = floors * 3.1 + rng.uniform(0.3, 1.5)
        facade = FACADES[rng.integers(len(FACADES))] + rng.normal(0, 6, 3)
        # Window bands, one per floor, on all four walls.
        bands = tuple((face, 0.05, 0.95, (f + 0.35) / floors * (floors * 3.1 / height), (f + 0.75) / floors * (floors * 3.1 / height), GLASS)
                      for f in range(floors) for face in ("left", "right", "front", "back"))
        return [_block(at, along, size, (0.0, height), facade, decals=bands)]
