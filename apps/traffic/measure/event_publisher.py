"""Measurements onto the bus: a Crossing event per vehicle crossing a counting line and a TrafficFlow event per
interval report, published (MQTT QoS 1 through the outbox) from the pipeline's emit thread."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime

from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import Crossing, EventBody, LaneFlow, TrafficFlow
from edgesight.core.frame import Frame

from .line_counter import LineCrossing
from .site_measurement import IntervalReport

APP = "traffic"


def crossing_event(crossing: LineCrossing) -> Crossing:
    """A vehicle that crossed outside every lane polygon is reported on the line's own name."""
    return Crossing(track_id=crossing.track_id, line=crossing.line, lane=crossing.lane or crossing.line,
                    vehicle_class=crossing.vehicle_class, direction=crossing.direction,
                    speed_kmh=round(crossing.speed_mps * 3.6, 1) if crossing.speed_mps is not None else None)


def flow_event(report: IntervalReport, interval_s: float) -> TrafficFlow:
    """`interval_s` stands for the interval of a report that covers a single frame (a camera's first)."""
    lanes = [LaneFlow(lane=lane.lane, counts=lane.counts, flow_veh_h=round(lane.flow_veh_h, 1),
                      occupancy=round(min(lane.occupancy, 1.0), 4), queue_length_m=round(lane.queue_m, 1),
                      mean_speed_kmh=round(lane.mean_speed_kmh, 1) if lane.mean_speed_kmh is not None else None,
                      queue_vehicles=lane.queue_vehicles, vehicles_in_zone=lane.vehicles)
             for lane in report.lanes]
    return TrafficFlow(interval_s=report.interval_s if report.interval_s > 0 else interval_s, lanes=lanes)


def wall_capture_time(frame: Frame) -> float:
    return frame.wall_capture


class MeasurementPublisher:
    """`crossing(frame, c)` and `report(frame, r)` are TrafficSink handlers; they run on the pipeline's emit
    thread and hand each event to `publisher` on `loop`. An event's capture time is `capture_time(frame)`
    (epoch seconds): the wall clock for a camera, the simulation clock in a closed-loop run."""

    def __init__(self, publisher: EventPublisher, loop: asyncio.AbstractEventLoop, interval_s: float,
                 capture_time: Callable[[Frame], float] = wall_capture_time) -> None:
        self.publisher = publisher
        self.loop = loop
        self.interval_s = interval_s
        self.capture_time = capture_time
        self._pending: list[Future] = []

    def crossing(self, frame: Frame, crossing: LineCrossing) -> None:
        self._send(crossing_event(crossing), frame)

    def report(self, frame: Frame, report: IntervalReport) -> None:
        self._send(flow_event(report, self.interval_s), frame)

    def _send(self, body: EventBody, frame: Frame) -> None:
        capture = datetime.fromtimestamp(self.capture_time(frame), UTC)
        self._pending = [f for f in self._pending if not f.done() or f.exception() is not None]
        self._pending.append(asyncio.run_coroutine_threadsafe(
            self.publisher.publish(body, app=APP, source=frame.source_id, capture_time=capture), self.loop))

    async def queued(self) -> None:
        """Wait until every event handed over so far is in the outbox; raises the first publish error."""
        pending, self._pending = self._pending, []
        await asyncio.gather(*(asyncio.wrap_future(f) for f in pending))
