"""The controller's clock in a closed-loop run with cameras. Each tick steps SUMO once; on a camera frame's
step it shows the cameras the vehicles and waits until every camera's traffic-flow event for that moment has
arrived over the bus. Decisions therefore rest on what the cameras saw at that simulated moment, however long
render -> detect -> MQTT took in wall time; that wall time is what `latency_s` reports."""
from __future__ import annotations

import asyncio
import logging
import time

from edgesight.core.events import Envelope, TrafficFlow

from edgesight.apps.traffic.control.flow_events import FlowEventReader
from edgesight.apps.traffic.control.measurements import LaneMeasurement
from edgesight.apps.traffic.sim.camera_rig import SimulatedCameras
from edgesight.apps.traffic.sim.run import SumoRun

log = logging.getLogger(__name__)


class LockstepTicker:
    """A Ticker for ControllerService. A camera frame every `frame_every` steps; each waits for the cameras'
    events at most `timeout_s` of wall time (a lost event then shows as a stale measurement, as on the street).
    `finished` turns true once the network is empty or past `until_s`."""

    def __init__(self, run: SumoRun, cameras: SimulatedCameras, frame_every: int, until_s: float | None = None,
                 timeout_s: float = 60.0) -> None:
        self.run = run
        self.cameras = cameras
        self.frame_every = frame_every
        self.until_s = until_s
        self.timeout_s = timeout_s
        self._sources = {view.source_id for view in cameras.views}
        self._steps = 0
        self._now = run.time
        self._frames: set[float] = set()  # the simulated times the cameras were shown
        self._latest: dict[str, float] = {}
        self._arrived = asyncio.Event()
        self.decided_at: dict[float, float] = {}  # frame time -> when its decision step was done (monotonic)
        self.late_ticks = 0

    def now(self) -> float:
        return self._now

    @property
    def finished(self) -> bool:
        # Past `until_s`, not at it: the decision on the frames of `until_s` is made (and timed) first.
        return self.run.finished or (self.until_s is not None and self._now > self.until_s + 1e-9)

    def watch(self, reader: FlowEventReader) -> ArrivalReader:
        """The reader to give ControllerService: it tells this ticker about every flow event that comes in."""
        return ArrivalReader(reader, self)

    def arrived(self, envelope: Envelope) -> None:
        if isinstance(envelope.data, TrafficFlow):
            t = envelope.capture_time.timestamp()
            self._latest[envelope.source] = max(self._latest.get(envelope.source, t), t)
            self._arrived.set()

    async def tick(self) -> float:
        # The service calls tick() once its step for `_now` is done: the decision is made and shown.
        if self._now in self._frames:
            self.decided_at[self._now] = time.monotonic()
        frame_due = (self._steps + 1) % self.frame_every == 0
        self._now = await asyncio.to_thread(self._step, frame_due)
        if frame_due:
            await self._reports(self._now)
        return self._now

    def _step(self, frame_due: bool) -> float:
        self.run.step()
        self._steps += 1
        if frame_due:
            self._frames.add(self.run.time)
            self.cameras.show(self.run.time, self.run.vehicle_states())
        return self.run.time

    async def _reports(self, t: float) -> None:
        deadline = time.monotonic() + self.timeout_s
        while not all(self._latest.get(source, -1.0) >= t - 1e-6 for source in self._sources):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.late_ticks += 1
                log.warning("lockstep: no flow event for %.0f s from %s within %.0f s; deciding without it", t,
                            ", ".join(sorted(s for s in self._sources if self._latest.get(s, -1.0) < t - 1e-6)),
                            self.timeout_s)
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=min(remaining, 0.5))
            except TimeoutError:
                pass

    def latency_s(self) -> list[float]:
        """Frame capture -> decision step done, for every camera frame."""
        return [self.decided_at[t] - at for view in self.cameras.views for t, at in view.captured.items()
                if t in self.decided_at]


class ArrivalReader:
    """A FlowEventReader that also reports each envelope to the lockstep ticker."""

    def __init__(self, reader: FlowEventReader, ticker: LockstepTicker) -> None:
        self.reader = reader
        self.ticker = ticker

    def measurements(self, envelope: Envelope) -> list[LaneMeasurement]:
        self.ticker.arrived(envelope)
        return self.reader.measurements(envelope)
