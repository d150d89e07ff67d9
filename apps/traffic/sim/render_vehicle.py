"""Draws vehicles as shaded 3D bodies through a pole camera, with their shadows, and reports for each one the
bounding box of its projected body and the share of it left visible after occlusion.

Bodies are painted back to front with back faces culled, and the same painting goes into an id buffer, so
every vehicle's visible share comes from the very pixels that were drawn.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .camera import NEAR_PLANE_M, PoleCamera
from .render_bodies import FACES, GLASS, Part, body_parts
from .render_lighting import Lighting

SUBPIXEL = 16  # fillPoly fixed-point scale (shift=4): keeps far, small bodies from snapping to whole pixels
FACE_NAMES = list(FACES)
# Every body part stays within this of the vehicle's length x width x height box (mirrors stick out 2 cm).
BODY_MARGIN_M = 0.3
FACE_CORNERS = np.array(list(FACES.values()))


@dataclass
class Vehicles:
    """Vehicles in one frame, SUMO style: `xy` is the front-bumper centre, `heading_deg` 0 = north, clockwise.
    `seed` fixes each vehicle's body style and paint so it looks the same in every frame."""

    ids: np.ndarray  # (N,) str or int
    class_id: np.ndarray  # (N,) int into render_bodies.VEHICLE_CLASSES
    xy: np.ndarray  # (N, 2) metres
    heading_deg: np.ndarray  # (N,)
    size: np.ndarray  # (N, 3) length, width, height in metres
    seed: np.ndarray  # (N,) int

    def __len__(self) -> int:
        return len(self.class_id)

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit forward and left vectors (N, 2) of each vehicle on the road."""
        a = np.radians(self.heading_deg)
        return np.column_stack([np.sin(a), np.cos(a)]), np.column_stack([-np.cos(a), np.sin(a)])

    def footprints(self) -> np.ndarray:
        """(N, 4, 2) ground corners: front-right, front-left, rear-left, rear-right."""
        fwd, left = self.axes()
        back, half = fwd * self.size[:, 0:1], left * self.size[:, 1:2] / 2
        return np.stack([self.xy - half, self.xy + half, self.xy - back + half, self.xy - back - half], axis=1)


@dataclass
class VehicleGroundTruth:
    """Per vehicle, in the order of the `Vehicles` given: the projected body's box clipped to the frame (NaN
    when the body is off-frame) and the visible share of its in-frame silhouette (0 = hidden, 1 = unoccluded)."""

    xyxy: np.ndarray  # (N, 4)
    visibility: np.ndarray  # (N,)
    in_frame: np.ndarray  # (N,) share of the silhouette inside the frame

    def labelled(self, min_visibility: float = 0.3, min_size_px: float = 6.0) -> np.ndarray:
        """Mask of vehicles worth a label: visible enough and not a speck."""
        w, h = self.xyxy[:, 2] - self.xyxy[:, 0], self.xyxy[:, 3] - self.xyxy[:, 1]
        with np.errstate(invalid="ignore"):
            return (self.visibility >= min_visibility) & (w >= min_size_px) & (h >= min_size_px)


Solid = list[tuple[Part, np.ndarray]]  # parts with their 8 corners placed in world metres


class VehicleRenderer:
    """`draw(image, camera, vehicles, lighting, props)` paints shadows, vehicle bodies and roadside props
    (buildings, trees, poles: they occlude and cast shadows but carry no label) into `image` in place and
    returns the vehicles' ground truth."""

    def draw(self, image: np.ndarray, camera: PoleCamera, vehicles: Vehicles, lighting: Lighting,
             props: Sequence[Solid] = ()) -> VehicleGroundTruth:
        n = len(vehicles)
        h, w = image.shape[:2]
        xyxy = np.full((n, 4), np.nan)
        hull_area, in_frame = np.zeros(n), np.zeros(n)
        ids = np.zeros((h, w), np.int32)  # 0 = road or prop, k + 1 = vehicle k
        fwd, left = vehicles.axes()
        # Bodies are built only for the vehicles whose box or shadow can reach the frame; the rest draw nothing.
        near = self._near_frame(camera, vehicles, lighting)
        solids = [self._world_parts(vehicles, k, fwd[k], left[k]) if near[k] else [] for k in range(n)] + list(props)
        self._shadows(image, camera, vehicles, solids, lighting, near)
        frame_rect = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        for index in self._far_to_near(camera, solids):
            if not solids[index]:
                continue
            # Most of a 250 m network is outside any one camera's view: skip what cannot put a pixel in the frame.
            if not in_view(camera, np.concatenate([c for _, c in solids[index]])):
                continue
            label = index + 1 if index < n else 0
            outlines = []
            for part, corners in solids[index]:
                outlines += self._draw_part(image, ids, label, camera, part, corners, lighting)
            if not outlines or index >= n:
                continue
            points = np.concatenate(outlines).astype(np.float32)
            hull = cv2.convexHull(points)
            area = cv2.contourArea(hull)
            if area <= 0:
                continue
            inside, _ = cv2.intersectConvexConvex(hull.reshape(-1, 2), frame_rect)
            if inside <= 0:
                continue
            hull_area[index], in_frame[index] = inside, inside / area
            lo, hi = points.min(axis=0), points.max(axis=0)
            xyxy[index] = [max(lo[0], 0), max(lo[1], 0), min(hi[0], w), min(hi[1], h)]
        visible = np.bincount(ids.ravel(), minlength=n + 1)[1 : n + 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            visibility = np.where(hull_area > 0, np.clip(visible / hull_area, 0, 1), 0.0)
        return VehicleGroundTruth(xyxy, visibility, in_frame)

    @staticmethod
    def _near_frame(camera: PoleCamera, vehicles: Vehicles, lighting: Lighting) -> np.ndarray:
        """Per vehicle: can its body or its shadow put a pixel in the frame? Tested on the body's box (grown by
        BODY_MARGIN_M, which every body part stays inside) and that box's shadow on the road."""
        fwd, left = vehicles.axes()
        grow = BODY_MARGIN_M
        front, back = vehicles.xy + fwd * grow, vehicles.xy - fwd * (vehicles.size[:, 0:1] + grow)
        half = left * (vehicles.size[:, 1:2] / 2 + grow)
        ground = np.stack([front - half, front + half, back + half, back - half], axis=1)  # (N, 4, 2)
        sun = lighting.sun_vector
        top = (vehicles.size[:, 2] + grow)[:, None, None]
        cast = ground - top * sun[:2] / max(sun[2], 0.2)
        near = np.zeros(len(vehicles), bool)
        for k in range(len(vehicles)):
            points = np.concatenate([np.column_stack([ground[k], np.zeros(4)]), np.column_stack([ground[k], np.full(4, top[k, 0, 0])]),
                                     np.column_stack([cast[k], np.zeros(4)])])
            near[k] = in_view(camera, points)
        return near

    @staticmethod
    def _world_parts(vehicles: Vehicles, k: int, fwd: np.ndarray, left: np.ndarray) -> Solid:
        length, width, height = vehicles.size[k]
        out = []
        for part in body_parts(vehicles.class_id[k], length, width, height, vehicles.seed[k]):
            local = part.corners()
            xy = vehicles.xy[k] + local[:, 0:1] * fwd + local[:, 1:2] * left
            out.append((part, np.column_stack([xy, local[:, 2]])))
        return out

    @staticmethod
    def _far_to_near(camera: PoleCamera, solids: list[Solid]) -> list[int]:
        """Painter's order by the distance from the pole to each solid's nearest ground point: unlike centre
        distance, it keeps a short car beside a long bus in front of it when it really is nearer."""
        pole = (float(camera.x), float(camera.y))
        distances = []
        for solid in solids:
            if not solid:
                distances.append(0.0)
                continue
            ground = cv2.convexHull(np.concatenate([c[:, :2] for _, c in solid]).astype(np.float32))
            distances.append(max(-cv2.pointPolygonTest(ground, pole, True), 0.0))
        return sorted(range(len(solids)), key=lambda i: -distances[i])

    def _draw_part(self, image: np.ndarray, ids: np.ndarray, label: int, camera: PoleCamera, part: Part,
                   corners: np.ndarray, lighting: Lighting) -> list[np.ndarray]:
        """Paint the camera-facing faces of one part; returns their image outlines."""
        quads = corners[FACE_CORNERS]  # (6, 4, 3), in FACES order
        centres = quads.mean(axis=1)
        a, b = quads[:, 1] - quads[:, 0], quads[:, 3] - quads[:, 0]
        normals = np.column_stack([a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1], a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
                                   a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]])
        norms = np.linalg.norm(normals, axis=1)
        solid = norms >= 1e-9
        normals[solid] /= norms[solid, None]
        outward = np.einsum("ij,ij->i", normals, centres - corners.mean(axis=0)) >= 0
        normals = np.where(outward[:, None], normals, -normals)
        facing = solid & (np.einsum("ij,ij->i", normals, camera.center - centres) > 0)
        if not facing.any():
            return []
        shades = lighting.shade(normals)
        # One projection of the 8 corners serves every face unless the part reaches behind the near plane.
        cam = camera.to_camera(corners)
        projected = (camera.focal_px * cam[:, :2] / cam[:, 2:3] + np.array([camera.width / 2, camera.height / 2])
                     if (cam[:, 2] >= NEAR_PLANE_M).all() else None)
        outlines = []
        for k in np.flatnonzero(facing):
            face, quad = FACE_NAMES[k], quads[k]
            outline = projected[FACE_CORNERS[k]] if projected is not None else camera.project_polygon(quad)
            if len(outline) < 3:
                continue
            shade = float(shades[k])
            self._fill(image, outline, np.array(part.colour) * shade)
            cv2.fillPoly(ids, [np.round(_bounded(outline)).astype(np.int32)], int(label))
            if face in part.glass:
                # Window inset from the face edges: what is left of the face reads as pillars and sills.
                self._decal(image, camera, _sub_quad(quad, 0.1, 0.9, 0.1, 0.88), GLASS, shade, normals[k])
            for decal_face, u0, u1, v0, v1, colour in part.decals:
                if decal_face == face:
                    self._decal(image, camera, _sub_quad(quad, u0, u1, v0, v1), colour, shade, normals[k])
            outlines.append(outline)
        return outlines

    def _decal(self, image: np.ndarray, camera: PoleCamera, quad: np.ndarray, colour, shade: float, normal: np.ndarray) -> None:
        # Glass and lamps mirror the bright sky when they face up, which is what makes windscreens read as glass.
        sky = 40.0 * max(normal[2], 0.0) + 12.0
        outline = camera.project_polygon(quad)
        if len(outline) >= 3:
            self._fill(image, outline, np.array(colour) * (0.6 + 0.4 * shade) + sky)

    @staticmethod
    def _fill(image: np.ndarray, outline: np.ndarray, colour: np.ndarray) -> None:
        pts = np.round(_bounded(outline) * SUBPIXEL).astype(np.int32)
        cv2.fillPoly(image, [pts], tuple(min(max(float(c), 0.0), 255.0) for c in colour), cv2.LINE_AA, shift=4)

    @staticmethod
    def _shadows(image: np.ndarray, camera: PoleCamera, vehicles: Vehicles, solids: list[Solid], lighting: Lighting,
                 near: np.ndarray) -> None:
        """Sun shadows of every solid (cast along the light, as strong as the sun is) plus a dark contact
        patch under every vehicle that stays even on overcast days."""
        h, w = image.shape[:2]
        mask, contact = np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)
        footprints = vehicles.footprints()
        sun = lighting.sun_vector
        # Shadows of a low sun stretch very far; capping the elevation keeps them within a few body lengths.
        sun_z = max(sun[2], 0.2)
        sun_strength = int(255 * (1.0 - lighting.shadow_darkening))
        for solid in solids if sun_strength > 0 else ():
            # Each part casts its own shadow: one hull around a whole tree would fill the gap under its crown.
            for _, corners in solid:
                cast = corners[:, :2] - corners[:, 2:3] * sun[:2] / sun_z
                if not in_view(camera, np.column_stack([cast, np.zeros(len(cast))])):
                    continue
                ring = cv2.convexHull(cast.astype(np.float32)).reshape(-1, 2)
                outline = camera.project_polygon(np.column_stack([ring, np.zeros(len(ring))]))
                if len(outline) >= 3:
                    cv2.fillPoly(mask, [np.round(np.clip(outline, -1e5, 1e5)).astype(np.int32)], sun_strength)
        for foot in footprints[near]:
            grown = foot + (foot - foot.mean(axis=0)) * 0.08
            outline = camera.project_polygon(np.column_stack([grown, np.zeros(4)]))
            if len(outline) >= 3:
                cv2.fillPoly(contact, [np.round(np.clip(outline, -1e5, 1e5)).astype(np.int32)], 150)
        np.maximum(mask, contact, out=mask)
        mask = cv2.GaussianBlur(mask, (0, 0), 1.5)
        factor = 1.0 - mask.astype(np.float32) / 255.0 * 0.8
        image[:] = (image.astype(np.float32) * factor[..., None]).astype(np.uint8)


def in_view(camera: PoleCamera, points: np.ndarray) -> bool:
    """Can any polygon over these world points (N, 3) show in the frame? False only when every point lies
    behind the near plane, or every point lies in front of it and they all project off one side of the frame
    (then so does their convex hull): culling on it never changes a pixel."""
    cam = camera.to_camera(points)
    in_front = cam[:, 2] >= NEAR_PLANE_M
    if not in_front.any():
        return False
    if not in_front.all():
        return True
    uv = camera.focal_px * cam[:, :2] / cam[:, 2:3] + np.array([camera.width / 2, camera.height / 2])
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    return bool(hi[0] >= -1 and hi[1] >= -1 and lo[0] <= camera.width + 1 and lo[1] <= camera.height + 1)


def _bounded(outline: np.ndarray) -> np.ndarray:
    """Pixels clamped to +-1e5, so a vertex just in front of the lens cannot overflow int32 in fillPoly."""
    return np.minimum(np.maximum(outline, -1e5), 1e5)


def _sub_quad(quad: np.ndarray, u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
    """Bilinear patch [u0, u1] x [v0, v1] of a face whose corners run (0,0), (1,0), (1,1), (0,1)."""
    u = np.array([u0, u1, u1, u0])[:, None]
    v = np.array([v0, v0, v1, v1])[:, None]
    return (1 - u) * (1 - v) * quad[0] + u * (1 - v) * quad[1] + u * v * quad[2] + (1 - u) * v * quad[3]
