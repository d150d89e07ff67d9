"""A pole-mounted pinhole camera over the road: world metres (x east, y north, z up) to image pixels.

Angles follow SUMO's convention so vehicle states and camera poses read the same way: a heading of 0 deg
looks north and angles grow clockwise. Only numpy is needed, so the data-set generator runs on machines that
have none of the project's other dependencies.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# Points closer than this in front of the lens are clipped away: projecting them would blow up to infinity.
NEAR_PLANE_M = 0.2


@dataclass(frozen=True)
class PoleCamera:
    """Camera on a pole at (x, y) metres, `height_m` above the road, looking along `heading_deg` (0 = north,
    clockwise) and tilted `tilt_deg` down from the horizon, with focal length `focal_px` in pixels."""

    x: float
    y: float
    height_m: float = 10.0
    heading_deg: float = 0.0
    tilt_deg: float = 20.0
    focal_px: float = 1100.0
    resolution: tuple[int, int] = (1280, 720)  # width, height in pixels
    fps: float = 25.0
    roll_deg: float = 0.0
    rotation: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.height_m <= NEAR_PLANE_M:
            raise ValueError(f"PoleCamera height_m={self.height_m}: the lens must be above the road (use > {NEAR_PLANE_M})")
        if not 0 < self.tilt_deg < 90:
            raise ValueError(f"PoleCamera tilt_deg={self.tilt_deg}: a road camera looks down between 0 and 90 deg")
        if self.focal_px <= 0 or min(self.resolution) <= 0 or self.fps <= 0:
            raise ValueError("PoleCamera focal_px, resolution and fps must all be positive")
        yaw, tilt, roll = (math.radians(a) for a in (self.heading_deg, self.tilt_deg, self.roll_deg))
        forward = np.array([math.sin(yaw) * math.cos(tilt), math.cos(yaw) * math.cos(tilt), -math.sin(tilt)])
        right = np.array([math.cos(yaw), -math.sin(yaw), 0.0])
        down = np.cross(forward, right)
        # Roll turns the image about the optical axis (a pole mount is rarely perfectly level).
        c, s = math.cos(roll), math.sin(roll)
        right, down = c * right + s * down, -s * right + c * down
        object.__setattr__(self, "rotation", np.stack([right, down, forward]))

    @classmethod
    def looking_at(cls, x: float, y: float, height_m: float, target_x: float, target_y: float, **kwargs) -> PoleCamera:
        """Aim the optical axis at a ground point: the usual way a camera is installed over an approach."""
        dx, dy = target_x - x, target_y - y
        distance = math.hypot(dx, dy)
        if distance < 1e-6:
            raise ValueError("PoleCamera.looking_at: the target is straight below the pole; give a target away from it")
        heading = math.degrees(math.atan2(dx, dy)) % 360.0
        tilt = math.degrees(math.atan2(height_m, distance))
        return cls(x=x, y=y, height_m=height_m, heading_deg=heading, tilt_deg=tilt, **kwargs)

    @property
    def width(self) -> int:
        return self.resolution[0]

    @property
    def height(self) -> int:
        return self.resolution[1]

    @property
    def center(self) -> np.ndarray:
        return np.array([self.x, self.y, self.height_m])

    @property
    def intrinsics(self) -> np.ndarray:
        return np.array([[self.focal_px, 0.0, self.width / 2], [0.0, self.focal_px, self.height / 2], [0.0, 0.0, 1.0]])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (N, 3) to camera coordinates (N, 3): x right, y down, z along the optical axis."""
        return (np.asarray(points, dtype=np.float64).reshape(-1, 3) - self.center) @ self.rotation.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (N, 3) to pixels (N, 2) and depth (N,). Pixels of points behind the near plane are NaN."""
        cam = self.to_camera(points)
        depth = cam[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = self.focal_px * cam[:, :2] / depth[:, None] + np.array([self.width / 2, self.height / 2])
        uv[depth < NEAR_PLANE_M] = np.nan
        return uv, depth

    def project_polygon(self, points: np.ndarray) -> np.ndarray:
        """A planar world polygon (N, 3) to its image outline (M, 2), clipped at the near plane; empty when
        the polygon lies wholly behind the camera."""
        cam = self.to_camera(points)
        if (cam[:, 2] < NEAR_PLANE_M).any():
            cam = clip_near(cam)
            if len(cam) < 3:
                return np.empty((0, 2))
        return self.focal_px * cam[:, :2] / cam[:, 2:3] + np.array([self.width / 2, self.height / 2])

    def ground_homography(self) -> np.ndarray:
        """3x3 homography from road-plane metres (x, y, z=0) to pixels."""
        r, t = self.rotation, -self.rotation @ self.center
        return self.intrinsics @ np.column_stack([r[:, 0], r[:, 1], t])

    def pixel_to_ground(self, uv: np.ndarray) -> np.ndarray:
        """Pixels (N, 2) to road-plane metres (N, 2); NaN for pixels at or above the horizon."""
        uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
        k_inv = np.linalg.inv(self.intrinsics)
        rays = (np.column_stack([uv, np.ones(len(uv))]) @ k_inv.T) @ self.rotation
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = -self.height_m / rays[:, 2]
        ground = self.center[:2] + scale[:, None] * rays[:, :2]
        ground[~(scale > 0)] = np.nan
        return ground


def clip_near(cam: np.ndarray, near: float = NEAR_PLANE_M) -> np.ndarray:
    """Sutherland-Hodgman clip of a polygon in camera coordinates against the plane z = near."""
    out: list[np.ndarray] = []
    n = len(cam)
    for i in range(n):
        a, b = cam[i], cam[(i + 1) % n]
        a_in, b_in = a[2] >= near, b[2] >= near
        if a_in:
            out.append(a)
        if a_in != b_in:
            t = (near - a[2]) / (b[2] - a[2])
            out.append(a + t * (b - a))
    return np.array(out).reshape(-1, 3)
