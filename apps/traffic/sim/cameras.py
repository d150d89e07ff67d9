"""The virtual cameras over the bundled intersection, by name: `south-pole`, the corner pole the demo clip and
apps/traffic/sites/sim-south.yaml use, and `approach-<arm>`, one camera per approach as a signal controller
is fed: on the far corner of the junction, 12 m up, looking back down the arm over its stop line, so that the
stop line and the first 100 m of the entry lanes are in view."""
from __future__ import annotations

import math

import numpy as np

from .camera import PoleCamera
from .render_layout import ARM_DIRECTIONS, IntersectionLayout

APPROACH_HEIGHT_M = 12.0  # within the training poles' range (5-16 m)
APPROACH_HFOV_DEG = 60.0
APPROACH_AIM_M = 35.0  # from the junction centre along the arm: keeps the stop line just inside the bottom edge
APPROACH_POLE_SET_BACK_M = 4.0  # beyond the kerb line of the entry lanes


def focal_for(hfov_deg: float, width: int) -> float:
    return width / 2 / math.tan(math.radians(hfov_deg) / 2)


def south_pole_camera(resolution: tuple[int, int] = (1280, 720), fps: float = 25.0) -> PoleCamera:
    return PoleCamera.looking_at(-11.0, -40.0, 10.0, 2.0, -8.0, focal_px=1120.0 * resolution[0] / 1280,
                                 resolution=resolution, fps=fps)


def approach_camera(arm: str, resolution: tuple[int, int] = (640, 360), fps: float = 5.0,
                    layout: IntersectionLayout = IntersectionLayout()) -> PoleCamera:
    out = np.array(ARM_DIRECTIONS[arm])
    entry_side = np.array([-out[1], out[0]])  # the entry lanes lie on this side of the arm's axis
    pole = layout.center - out * layout.stop_line_m + entry_side * (layout.half_width_m + APPROACH_POLE_SET_BACK_M)
    aim = layout.center + out * APPROACH_AIM_M + entry_side * layout.lane_width_m
    return PoleCamera.looking_at(float(pole[0]), float(pole[1]), APPROACH_HEIGHT_M, float(aim[0]), float(aim[1]),
                                 focal_px=focal_for(APPROACH_HFOV_DEG, resolution[0]), resolution=resolution, fps=fps)


CAMERA_NAMES: tuple[str, ...] = ("south-pole", *(f"approach-{arm}" for arm in ARM_DIRECTIONS))


def named_camera(name: str, resolution: tuple[int, int], fps: float) -> PoleCamera:
    if name == "south-pole":
        return south_pole_camera(resolution, fps)
    arm = name.removeprefix("approach-")
    if name.startswith("approach-") and arm in ARM_DIRECTIONS:
        return approach_camera(arm, resolution, fps)
    raise ValueError(f"camera {name!r}: unknown; choose one of {', '.join(CAMERA_NAMES)}")
