"""Time occupancy of detector zones: the share of an interval during which a vehicle stood in each zone, as
an induction loop would report it."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2
import numpy as np
import supervision as sv


class ZoneOccupancy:
    """`update(detections, timestamp)` -> names of the zones occupied in this frame; `snapshot()` -> zone ->
    occupied share of the time since the previous snapshot.

    A zone is occupied while a vehicle's bottom centre or box centre is in it: the two points span most of a
    vehicle's footprint as a camera over the road sees it. Each frame's state holds until the next frame."""

    def __init__(self, zones: Mapping[str, Sequence[tuple[float, float]]]) -> None:
        self._zones = {name: np.asarray(p, dtype=np.float32).reshape(-1, 1, 2) for name, p in zones.items()}
        self._occupied_s = dict.fromkeys(self._zones, 0.0)
        self._elapsed_s = 0.0
        self._last: tuple[float, set[str]] | None = None

    def update(self, detections: sv.Detections, timestamp: float) -> set[str]:
        points = np.concatenate([detections.get_anchors_coordinates(sv.Position.BOTTOM_CENTER),
                                 detections.get_anchors_coordinates(sv.Position.CENTER)])
        occupied = {name for name, poly in self._zones.items()
                    if any(cv2.pointPolygonTest(poly, (float(x), float(y)), False) >= 0 for x, y in points)}
        if self._last is not None:
            t0, before = self._last
            dt = max(timestamp - t0, 0.0)
            self._elapsed_s += dt
            for name in before:
                self._occupied_s[name] += dt
        self._last = (timestamp, occupied)
        return occupied

    def snapshot(self) -> dict[str, float]:
        shares = {name: (t / self._elapsed_s if self._elapsed_s > 0 else 0.0) for name, t in self._occupied_s.items()}
        self._occupied_s = dict.fromkeys(self._zones, 0.0)
        self._elapsed_s = 0.0
        return shares
