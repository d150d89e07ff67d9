"""The reject controller as a bus service: subscribes to one line's part verdicts (deduplicated by event id by the
consumer, and by part id by the scheduler), hands them to the RejectController, publishes its alarms."""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from edgesight.core.bus.config import BusConfig
from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import Alarm, Envelope, EventBody, PartVerdict

from .actuator import DiverterActuator
from .config import InspectionConfig
from .reject_controller import RejectController
from .reject_scheduler import RejectScheduler, VerdictNotice
from .verdict_publisher import APP

log = logging.getLogger(__name__)


def notice_of(envelope: Envelope[EventBody]) -> VerdictNotice | None:
    """The controller's view of a part_verdict event; None for any other event."""
    body = envelope.data
    if not isinstance(body, PartVerdict):
        return None
    return VerdictNotice(body.part_id, body.verdict == "reject", envelope.capture_time.timestamp(), body.belt_position_mm)


class ControllerService:
    """`await service.run()` until cancelled. `controller_id` names it on the bus (its alarms' source)."""

    def __init__(self, config: InspectionConfig, bus: BusConfig, actuator: DiverterActuator, *, state_path: Path,
                 controller_id: str | None = None) -> None:
        self.config = config
        self.bus = bus
        self.controller_id = controller_id or f"{config.line_id}-reject"
        self.state_path = state_path
        self.controller = RejectController(RejectScheduler(config.belt, config.controller), actuator, self._alarm)
        self.verdicts = 0
        self.bus_latency_s: list[float] = []  # verdict published by the inspection node -> handled here
        self.ready = asyncio.Event()  # set once subscribed: verdicts published from then on are received
        self._publisher: EventPublisher | None = None

    async def _alarm(self, alarm: Alarm) -> None:
        if self._publisher is not None:
            await self._publisher.publish(alarm, app=APP, source=self.controller_id)

    async def run(self) -> None:
        async with EventPublisher(self.bus, client_id=f"{self.controller_id}-pub") as publisher, \
                EventConsumer(self.bus, name=self.controller_id, state_path=self.state_path, batch_size=50,
                              batch_wait_s=0.0) as consumer:
            self._publisher = publisher
            self.ready.set()
            async for batch in consumer.batches():
                for envelope in batch:
                    if envelope.app != APP or envelope.source != self.config.line_id:
                        continue
                    notice = notice_of(envelope)
                    if notice is not None:
                        self.verdicts += 1
                        self.bus_latency_s.append(time.time() - envelope.publish_time.timestamp())
                        await self.controller.handle(notice)
