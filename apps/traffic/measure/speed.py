"""Ground speed of every tracked vehicle from its road-plane positions over the last second."""
from __future__ import annotations

from collections import deque

import numpy as np
import supervision as sv

from .ground_plane import GroundPlane


class SpeedEstimator:
    """`update(detections, timestamp)` -> detections with `data["speed_mps"]` (NaN until a track has been
    seen for `min_span_s`). Speed is displacement over the window, not summed steps, so box jitter of a
    standing vehicle does not add up to motion."""

    def __init__(self, ground: GroundPlane, window_s: float = 1.0, min_span_s: float = 0.3) -> None:
        self.ground = ground
        self.window_s = window_s
        self.min_span_s = min_span_s
        self._history: dict[int, deque[tuple[float, np.ndarray]]] = {}

    def update(self, detections: sv.Detections, timestamp: float) -> sv.Detections:
        if detections.tracker_id is None:
            raise ValueError("SpeedEstimator.update: detections have no tracker_id; run them through the tracker first")
        xy = detections.data.get("ground_xy")
        if xy is None:
            xy = self.ground.to_metres(detections.get_anchors_coordinates(sv.Position.BOTTOM_CENTER))
        speeds = np.full(len(detections), np.nan)
        for i, tid in enumerate(detections.tracker_id):
            history = self._history.setdefault(int(tid), deque())
            history.append((timestamp, np.asarray(xy[i], dtype=float)))
            while timestamp - history[0][0] > self.window_s:
                history.popleft()
            span = timestamp - history[0][0]
            if span >= self.min_span_s:
                speeds[i] = float(np.linalg.norm(history[-1][1] - history[0][1])) / span
        seen = {int(t) for t in detections.tracker_id}
        for tid in [t for t, h in self._history.items() if t not in seen and timestamp - h[-1][0] > self.window_s]:
            del self._history[tid]
        out = detections[np.ones(len(detections), bool)]
        out.data["speed_mps"] = speeds
        return out
