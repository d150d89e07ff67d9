"""Draws the intersection's road surface as a pole camera sees it: asphalt, kerbs, pavements, verges, lane
markings, stop lines and pedestrian crossings, with sky and a treeline above the horizon.

The ground is painted once, top-down, into a texture in metres; each frame is then one perspective warp of
that texture through the camera's ground homography, so a frame costs the same however big the map is.
"""
from __future__ import annotations

import cv2
import numpy as np

from .camera import PoleCamera
from .render_layout import ARM_DIRECTIONS, IntersectionLayout

ASPHALT = (88, 90, 92)
KERB = (150, 152, 150)
PAVEMENT = (165, 170, 172)
PAINT = (225, 230, 232)


class RoadRenderer:
    """`draw(camera)` -> BGR uint8 frame of the empty road (unlit albedo; `Lighting.apply` exposes it later)."""

    def __init__(self, layout: IntersectionLayout, seed: int = 0, metres_per_px: float = 0.1, margin_m: float = 10.0) -> None:
        self.layout = layout
        self.metres_per_px = metres_per_px
        self._rng = np.random.default_rng(seed)
        extent = layout.arm_length_m + margin_m
        self._x0, self._y1 = layout.center_x - extent, layout.center_y + extent
        size = int(round(2 * extent / metres_per_px))
        self._verge = tuple(int(c) for c in self._rng.choice([(70, 118, 96), (74, 104, 110), (110, 128, 132)]))
        self.texture = self._paint(size)
        self._grain = self._grain_tile()
        # Low-frequency blotches make verges and asphalt look weathered rather than flat-filled; kept coarse
        # (2 m per cell) and applied per frame so the big texture stays uint8.
        self._blotch = (1.0 + 0.06 * self._rng.normal(0, 1, (size // 20 + 1, size // 20 + 1))).astype(np.float32)

    def _px(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        return np.column_stack([(xy[:, 0] - self._x0) / self.metres_per_px, (self._y1 - xy[:, 1]) / self.metres_per_px])

    def _fill(self, image: np.ndarray, polygon_m: np.ndarray, colour: tuple[int, ...]) -> None:
        cv2.fillPoly(image, [np.round(self._px(polygon_m) * 16).astype(np.int32)], colour, cv2.LINE_AA, shift=4)

    def _strip(self, image: np.ndarray, a: np.ndarray, b: np.ndarray, width_m: float, colour: tuple[int, ...]) -> None:
        """A painted band of `width_m` along the segment a-b."""
        d = (b - a) / max(np.linalg.norm(b - a), 1e-9)
        n = np.array([-d[1], d[0]]) * width_m / 2
        self._fill(image, np.array([a + n, b + n, b - n, a - n]), colour)

    def _arm_bands(self, image: np.ndarray, half_width: float, far: float, colour: tuple[int, ...]) -> None:
        """A band of `half_width` either side of every arm's axis, from the centre out to `far`."""
        c = self.layout.center
        for dx, dy in ARM_DIRECTIONS.values():
            out, side = np.array([dx, dy]), np.array([-dy, dx])
            self._fill(image, np.array([c - side * half_width, c + side * half_width,
                                        c + side * half_width + out * far, c - side * half_width + out * far]), colour)

    def _paint(self, size: int) -> np.ndarray:
        lay = self.layout
        c, hw, j = lay.center, lay.half_width_m, lay.stop_line_m
        far = lay.arm_length_m + 30.0
        image = np.empty((size, size, 3), np.uint8)
        image[:] = self._verge
        for half_width, colour in ((hw + 3.5, PAVEMENT), (hw + 0.25, KERB), (hw, ASPHALT)):
            self._arm_bands(image, half_width, far, colour)
        # Junction box with rounded kerbs: a quarter disc of pavement, edged by kerb, cut into each corner.
        self._fill(image, c + np.array([[-j, -j], [j, -j], [j, j], [-j, j]]), ASPHALT)
        radius = (j - hw) / self.metres_per_px
        for sx in (-1, 1):
            for sy in (-1, 1):
                centre = tuple(np.round(self._px(c + np.array([sx * j, sy * j]))[0]).astype(int))
                towards_centre = np.degrees(np.arctan2(sy, -sx))  # in texture pixels, v grows southwards
                for r, colour in ((radius, KERB), (radius - 0.25 / self.metres_per_px, PAVEMENT)):
                    cv2.ellipse(image, centre, (int(round(r)), int(round(r))), 0, towards_centre - 45, towards_centre + 45,
                                colour, -1, cv2.LINE_AA)
        self._markings(image)
        return image

    def _markings(self, image: np.ndarray) -> None:
        lay = self.layout
        c, hw, j, w = lay.center, lay.half_width_m, lay.stop_line_m, lay.lane_width_m
        far = lay.arm_length_m + 30.0
        wear = lambda: tuple(int(v) for v in np.array(PAINT) - self._rng.uniform(0, 40))  # noqa: E731 - paint fades unevenly
        for arm, (dx, dy) in ARM_DIRECTIONS.items():
            out, side = np.array([dx, dy]), np.array([-dy, dx])
            start, end = c + out * j, c + out * far
            # Centre line: a double solid line, traffic must not cross into the opposite direction.
            for off in (-0.12, 0.12):
                self._strip(image, start + side * off, end + side * off, 0.12, wear())
            for edge in (-1, 1):
                self._strip(image, start + side * edge * (hw - 0.3), end + side * edge * (hw - 0.3), 0.15, wear())
            # Lane dividers: solid for the last 25 m before the stop line (no lane changes), dashed beyond.
            for k in range(1, lay.lanes_per_direction):
                for edge in (-1, 1):
                    off = side * edge * k * w
                    self._strip(image, start + off, c + out * (j + 25) + off, 0.12, wear())
                    for s in np.arange(j + 25, far, 9.0):
                        self._strip(image, c + out * s + off, c + out * (s + 3.0) + off, 0.12, wear())
            # Stop line across the entry lanes (the left side of an arm seen from the junction is the entry).
            self._strip(image, c + out * (j + 0.25), c + out * (j + 0.25) + side * hw, 0.4, wear())
            # Zebra crossing in front of the stop line, inside the junction box and clear of the crossing road.
            for t in np.arange(-hw + 0.5, hw - 0.3, 1.0):
                a = c + out * (j - 3.4) + side * t
                self._strip(image, a + side * 0.25, a + side * 0.25 + out * 3.0, 0.5, wear())

    def _grain_tile(self) -> np.ndarray:
        """Fine asphalt grain, tiled across the ground at a few centimetres per pixel."""
        noise = self._rng.normal(0, 1, (256, 256)).astype(np.float32)
        noise = cv2.GaussianBlur(noise, (0, 0), 0.8)
        return (1.0 + 0.06 * noise / noise.std()).astype(np.float32)

    def draw(self, camera: PoleCamera, sky_seed: int = 0) -> np.ndarray:
        h_world = camera.ground_homography()
        tex_to_world = np.array([[self.metres_per_px, 0, self._x0], [0, -self.metres_per_px, self._y1], [0, 0, 1.0]])
        size = (camera.width, camera.height)
        ground = cv2.warpPerspective(self.texture, h_world @ tex_to_world, size, flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=self._verge)
        blotch = cv2.warpPerspective(self._blotch, h_world @ tex_to_world @ np.diag([20.0, 20.0, 1.0]), size,
                                     flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        grain_mpp = 0.03
        grain = cv2.warpPerspective(self._grain, h_world @ np.diag([grain_mpp, grain_mpp, 1.0]), size,
                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        image = np.clip(ground.astype(np.float32) * (grain * blotch)[..., None], 0, 255).astype(np.uint8)
        self._sky(image, camera, self.layout.arm_length_m, np.random.default_rng(sky_seed))
        return image

    @staticmethod
    def _sky(image: np.ndarray, camera: PoleCamera, visible_m: float, rng: np.random.Generator) -> None:
        """Fill everything at or above the horizon, and ground farther than `visible_m`, with sky and a treeline."""
        h, w = image.shape[:2]
        k_inv = np.linalg.inv(camera.intrinsics)
        # World z of the viewing ray through each pixel is linear in (u, v): zero on the horizon.
        a, b, c0 = (camera.rotation.T @ k_inv)[2]
        u = np.arange(w, dtype=np.float64)
        # Rays that would meet the ground beyond the painted map end in the haze at the horizon instead.
        far_angle = camera.height_m / visible_m
        norm = np.linalg.norm(camera.rotation.T @ k_inv @ np.array([w / 2, h / 2, 1.0]))
        v_horizon = -(a * u + c0 + far_angle * norm) / b if abs(b) > 1e-12 else np.full(w, -1.0)
        top = int(np.clip(np.ceil(v_horizon.max()), 0, h))
        if top <= 0:
            return
        ys = np.arange(top, dtype=np.float32)[:, None] / max(top, 1)
        sky_top, sky_low = np.array(rng.choice([(200, 160, 120), (190, 180, 170), (215, 195, 170)]), np.float32), np.array((225, 220, 215), np.float32)
        sky = (sky_top * (1 - ys) + sky_low * ys)[:, None, :].repeat(w, axis=1)
        mask = np.arange(top)[:, None] < v_horizon[None, :]
        region = image[:top]
        region[mask] = sky[mask].astype(np.uint8)
        # A ragged band of trees and roofs sits on the horizon so the ground does not end in a ruler-straight edge.
        band = np.clip(cv2.GaussianBlur(rng.normal(0, 1, (1, w // 8 + 2)).astype(np.float32), (0, 0), 2).ravel(), -2, 2)
        heights = np.interp(u, np.linspace(0, w - 1, len(band)), 6 + 10 * (band + 2)) * camera.focal_px / 1100.0
        colour = np.array(rng.choice([(60, 85, 70), (80, 95, 90), (95, 100, 110)]), np.uint8)
        for x in range(w):
            y1 = int(np.clip(v_horizon[x] + 1, 0, h))
            y0 = int(np.clip(v_horizon[x] - heights[x], 0, h))
            if y1 > y0:
                image[y0:y1, x] = colour
