"""InspectionSink: the app step after detection. Frames and their detections go in (in frame order, from the
pipeline's emit thread); one PartResult per part comes out, to `on_result`, as each part leaves the view."""
from __future__ import annotations

from collections.abc import Callable

import supervision as sv

from edgesight.core.frame import Frame

from .part_tracker import PartTrack, PartTracker
from .verdict import PartResult, VerdictAggregator


class InspectionSink:
    def __init__(self, tracker: PartTracker, aggregator: VerdictAggregator, on_result: Callable[[PartResult], None]) -> None:
        self.tracker = tracker
        self.aggregator = aggregator
        self.on_result = on_result
        self.parts = 0

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        for track in self.tracker.update(frame, detections):
            self._hand_on(track)

    def flush(self) -> None:
        """Judge the parts still in view (end of the stream)."""
        for track in self.tracker.flush():
            self._hand_on(track)

    def _hand_on(self, track: PartTrack) -> None:
        self.parts += 1
        self.on_result(self.aggregator.judge(track))
