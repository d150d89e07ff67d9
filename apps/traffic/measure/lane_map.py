"""Which lane polygon an image point lies in."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2
import numpy as np


class LaneMap:
    """`lane_of(points)` -> the name of the lane polygon each pixel point lies in, or None between lanes."""

    def __init__(self, polygons: Mapping[str, Sequence[tuple[float, float]]]) -> None:
        self._polygons = {name: np.asarray(poly, dtype=np.float32).reshape(-1, 1, 2) for name, poly in polygons.items()}

    @property
    def names(self) -> list[str]:
        return list(self._polygons)

    def lane_of(self, points: np.ndarray) -> list[str | None]:
        result: list[str | None] = []
        for x, y in np.asarray(points, dtype=float).reshape(-1, 2):
            # Lane polygons drawn by hand overlap a little at shared edges: the deepest inside wins.
            depth = {name: cv2.pointPolygonTest(poly, (float(x), float(y)), True) for name, poly in self._polygons.items()}
            best = max(depth, key=depth.get, default=None)
            result.append(best if best is not None and depth[best] >= 0 else None)
        return result
