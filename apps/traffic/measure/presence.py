"""Vehicles in each lane at one moment: the demand a signal controller weighs, queued or still moving."""
from __future__ import annotations

from collections import Counter

import supervision as sv

from .lane_map import LaneMap


class LanePresence:
    """`update(detections, timestamp)` -> lane -> vehicles whose box's bottom centre (where the body meets the
    road) lies in that lane's polygon; `snapshot()` -> the same for the last update."""

    def __init__(self, lanes: LaneMap) -> None:
        self.lanes = lanes
        self._now: dict[str, int] = dict.fromkeys(lanes.names, 0)

    def update(self, detections: sv.Detections, timestamp: float) -> dict[str, int]:
        found = Counter(self.lanes.lane_of(detections.get_anchors_coordinates(sv.Position.BOTTOM_CENTER)))
        self._now = {name: found.get(name, 0) for name in self.lanes.names}
        return dict(self._now)

    def snapshot(self) -> dict[str, int]:
        return dict(self._now)
