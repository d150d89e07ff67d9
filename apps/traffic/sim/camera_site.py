"""The measurement site config a virtual pole camera implies: lane polygons, counting and stop lines and the
ground-plane homography, all projected from the intersection's geometry, so simulated clips are measured
with geometry that is exact rather than clicked by hand."""
from __future__ import annotations

import cv2
import numpy as np

from .camera import PoleCamera
from .render_layout import ARM_DIRECTIONS, IntersectionLayout

BEARINGS = {"north": 0.0, "east": 90.0, "south": 180.0, "west": 270.0}


def site_config_for(camera: PoleCamera, layout: IntersectionLayout, name: str, lane_reach_m: float = 60.0,
                    count_line_m: float = 8.0, count_out_line_m: float | None = None,
                    min_area_px: float = 400.0) -> dict:
    """A site config dict (the YAML layout of edgesight.apps.traffic.measure.site) for what `camera` sees.

    Lanes run from the junction edge out to `lane_reach_m`; each arm's counting line `<arm>_count` crosses both
    directions `count_line_m` beyond the stop line. With `count_out_line_m`, entering vehicles are counted on
    `<arm>_count_in` there and leaving ones on `<arm>_count_out` that far beyond the stop line. Parts outside
    the image are clipped; lanes or lines that end up too small to measure on are left out."""
    w, h = camera.resolution
    frame = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    lanes, lines, approaches = [], [], []
    for arm, (dx, dy) in ARM_DIRECTIONS.items():
        out = np.array([dx, dy])
        lane_paths = [(layout.entry_lane(arm, k), "in") for k in range(layout.lanes_per_direction)]
        lane_paths += [(layout.exit_lane(arm, k), "out") for k in range(layout.lanes_per_direction)]
        for path, direction in lane_paths:
            a, b = path.points[0], path.points[-1]
            # Lane from the junction edge outwards, whichever way traffic drives on it.
            near, far_end = (b, a) if direction == "in" else (a, b)
            far = near + (far_end - near) / np.linalg.norm(far_end - near) * (lane_reach_m - layout.stop_line_m)
            across = np.array([-out[1], out[0]]) * layout.lane_width_m / 2
            polygon = _visible(camera, np.array([near - across, near + across, far + across, far - across]), frame)
            if polygon is not None and cv2.contourArea(polygon) >= min_area_px:
                lanes.append({"name": path.name, "direction": direction, "approach": arm, "polygon": _points(polygon)})
        if not any(lane["approach"] == arm for lane in lanes):
            continue
        approaches.append({"name": arm, "bearing_deg": BEARINGS[arm]})
        stop = _visible_segment(camera, layout.stop_line(arm), w, h)
        if stop is not None:
            lines.append({"name": f"{arm}_stop", "kind": "stop", "approach": arm, "start": stop[0], "end": stop[1]})
        if count_out_line_m is None:
            lines += _count_line(camera, layout, arm, f"{arm}_count", count_line_m, {})
        else:
            lines += _count_line(camera, layout, arm, f"{arm}_count_in", count_line_m, {"counts": "in", "approach": arm})
            lines += _count_line(camera, layout, arm, f"{arm}_count_out", count_out_line_m,
                                 {"counts": "out", "approach": arm})
    return {"name": name, "image_size": [w, h], "ground_plane": _ground_plane(camera),
            "approaches": approaches, "lanes": lanes, "lines": lines}


def _count_line(camera: PoleCamera, layout: IntersectionLayout, arm: str, name: str, beyond_stop_m: float,
                extra: dict) -> list[dict]:
    """The counting line across the whole arm `beyond_stop_m` upstream of its stop line, if the camera sees it."""
    out = np.array(ARM_DIRECTIONS[arm])
    centre = layout.center + out * (layout.stop_line_m + beyond_stop_m)
    across = np.array([-out[1], out[0]]) * layout.half_width_m
    count = _visible_segment(camera, np.array([centre - across, centre + across]), *camera.resolution)
    towards_junction = camera.project(np.array([[*(centre - out * 2.0), 0.0]]))[0][0]
    if count is None or not np.isfinite(towards_junction).all():
        return []
    return [{"name": name, "kind": "count", "start": count[0], "end": count[1],
             "in_towards": _points(towards_junction[None])[0], **extra}]


def _visible(camera: PoleCamera, ground_quad: np.ndarray, frame: np.ndarray) -> np.ndarray | None:
    outline = camera.project_polygon(np.column_stack([ground_quad, np.zeros(4)]))
    if len(outline) < 3:
        return None
    area, clipped = cv2.intersectConvexConvex(outline.astype(np.float32), frame)
    return clipped.reshape(-1, 2) if area > 0 and clipped is not None else None


def _visible_segment(camera: PoleCamera, ends: np.ndarray, w: int, h: int) -> list[list[float]] | None:
    uv, depth = camera.project(np.column_stack([ends, np.zeros(2)]))
    if not np.isfinite(uv).all():
        return None
    ok, p, q = cv2.clipLine((0, 0, w - 1, h - 1), tuple(int(round(v)) for v in uv[0]), tuple(int(round(v)) for v in uv[1]))
    if not ok or np.hypot(q[0] - p[0], q[1] - p[1]) < 10:
        return None
    return [[float(p[0]), float(p[1])], [float(q[0]), float(q[1])]]


def _ground_plane(camera: PoleCamera) -> dict:
    """Four well-spread pixels in the lower part of the image and where they are on the road."""
    w, h = camera.resolution
    image = np.array([[0.1 * w, 0.95 * h], [0.9 * w, 0.95 * h], [0.9 * w, 0.6 * h], [0.1 * w, 0.6 * h]])
    world = camera.pixel_to_ground(image)
    if not np.isfinite(world).all():
        raise ValueError("site_config_for: the lower part of the image does not see the road; tilt the camera further down")
    return {"image": _points(image), "world": _points(world, 3)}


def _points(points: np.ndarray, digits: int = 1) -> list[list[float]]:
    return [[round(float(x), digits), round(float(y), digits)] for x, y in np.asarray(points).reshape(-1, 2)]
