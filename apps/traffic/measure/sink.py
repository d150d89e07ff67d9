"""The traffic app's step after detection. Per camera, a CameraMeasurement keeps the vehicles (one box each),
tracks them and measures the site; TrafficSink routes each frame to its camera's measurement and hands every
line crossing at once, and an interval report every `interval_s`, to the handlers.

Tracking happens here rather than in the pipeline (run it with `track=False`): the tracker must see one box
per vehicle, which only the vehicle filter's class-agnostic suppression gives.

The first report comes with a camera's first frame (a camera announces what it sees at once), then one per
interval. Time is the frame's position in its media when it has one (a file replayed at any speed, a simulated
camera's clock), else its capture time.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

import supervision as sv

from edgesight.core.frame import Frame
from edgesight.core.track import ObjectTracker

from .line_counter import LineCrossing
from .site_measurement import IntervalReport, SiteMeasurement
from .vehicle_classes import VehicleClassFilter

CrossingHandler = Callable[[Frame, LineCrossing], None]
ReportHandler = Callable[[Frame, IntervalReport], None]
TrackedHandler = Callable[[Frame, sv.Detections], None]


def frame_time(frame: Frame) -> float:
    return frame.media_ts if frame.media_ts is not None else frame.wall_capture


class CameraMeasurement:
    """`update(detections, timestamp)` -> (tracked vehicles, line crossings completed in this frame)."""

    def __init__(self, site: SiteMeasurement, vehicles: VehicleClassFilter, fps: float) -> None:
        self.site = site
        self.vehicles = vehicles
        self.tracker = ObjectTracker(site.config.tracker, fps=fps)

    def update(self, detections: sv.Detections, timestamp: float) -> tuple[sv.Detections, list[LineCrossing]]:
        vehicles = self.vehicles.apply(detections)
        tracked = self.tracker.update(vehicles)
        return tracked, self.site.update(tracked, timestamp, seen=vehicles)

    def snapshot(self) -> IntervalReport:
        return self.site.snapshot()


class TrafficSink:
    """`cameras` maps each source id to its measurement; frames of other sources are an error. `on_tracked`
    gets every frame's tracked vehicles (to draw them)."""

    def __init__(self, cameras: Mapping[str, CameraMeasurement], interval_s: float, on_crossing: CrossingHandler,
                 on_report: ReportHandler, on_tracked: TrackedHandler | None = None) -> None:
        if interval_s <= 0:
            raise ValueError(f"TrafficSink interval_s={interval_s}: must be a positive number of seconds")
        self.cameras = dict(cameras)
        self.interval_s = interval_s
        self.on_crossing = on_crossing
        self.on_report = on_report
        self.on_tracked = on_tracked
        self._due: dict[str, float] = {}
        self._unreported: dict[str, Frame] = {}  # the last frame of each camera not yet covered by a report

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        camera = self.cameras.get(frame.source_id)
        if camera is None:
            raise KeyError(f"TrafficSink: camera {frame.source_id!r} has no site; give one per source "
                           f"(sites for {', '.join(sorted(self.cameras))})")
        t = frame_time(frame)
        tracked, crossings = camera.update(detections, t)
        if self.on_tracked is not None:
            self.on_tracked(frame, tracked)
        for crossing in crossings:
            self.on_crossing(frame, crossing)
        due = self._due.get(frame.source_id, t)
        if t < due - 1e-9:
            self._unreported[frame.source_id] = frame
            return
        self.on_report(frame, camera.snapshot())
        self._unreported.pop(frame.source_id, None)
        while due <= t + 1e-9:
            due += self.interval_s
        self._due[frame.source_id] = due

    def finish(self) -> None:
        """Report the partial interval each camera has measured since its last report (end of the stream)."""
        for source, frame in self._unreported.items():
            self.on_report(frame, self.cameras[source].snapshot())
        self._unreported.clear()
