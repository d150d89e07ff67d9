"""`edgesight traffic controller` at work: flow events in over MQTT, a decision step per tick, signal-state
and alarm events out. A thin layer: every decision is made by SignalController, this only moves messages."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import Alarm, EventBody, SignalColour, SignalState

from edgesight.apps.traffic.control.conflict_monitor import ConflictFault, ConflictMonitor
from edgesight.apps.traffic.control.controller import SignalController
from edgesight.apps.traffic.control.flow_events import FlowEventReader
from edgesight.apps.traffic.control.safety_layer import Intervention
from edgesight.apps.traffic.control.signal_status import GroupState, SignalStatus
from edgesight.apps.traffic.control.ticker import Ticker

log = logging.getLogger(__name__)

APP = "traffic"
COLOURS = {GroupState.RED: SignalColour.red, GroupState.YELLOW: SignalColour.amber, GroupState.GREEN: SignalColour.green}


def signal_state_event(status: SignalStatus, controller: SignalController) -> SignalState:
    layout = controller.safety.layout
    green = status.green
    return SignalState(
        groups={name: COLOURS[state] for name, state in status.states.items()},
        phase=layout.stage_name(green),
        time_in_phase_s=min((status.elapsed(g) for g in green), default=0.0),
        cycle_s=0.0,
        plan_id=controller.plan_id,
        reason=(status.reason or "signal change")[:200],
    )


def intervention_alarm(intervention: Intervention) -> Alarm:
    if intervention.kind == "fallback_released":
        return Alarm(alarm="safety_intervention", severity="info", text=intervention.detail[:500])
    kind = "stale_measurement" if intervention.kind == "fallback" else "safety_intervention"
    return Alarm(alarm=kind, severity="warning", text=f"{intervention.kind}: {intervention.detail}"[:500])


def fault_alarm(fault: ConflictFault) -> Alarm:
    return Alarm(alarm="conflict_fault", severity="critical",
                 text=f"{fault.kind}: {fault.detail}; intersection in fail-safe until reset"[:500])


class ControllerService:
    """`source` is this controller's id in event topics."""

    def __init__(self, controller: SignalController, reader: FlowEventReader, publisher: EventPublisher,
                 source: str) -> None:
        self.controller = controller
        self.reader = reader
        self.publisher = publisher
        self.source = source
        self._outgoing: list[tuple[float, EventBody]] = []
        controller.on_change = lambda status: self._outgoing.append(
            (status.time, signal_state_event(status, controller)))
        controller.safety.on_intervention = lambda i: self._outgoing.append((i.time, intervention_alarm(i)))
        self.rejected = 0

    def on_fault(self, fault: ConflictFault) -> None:
        """Give this to the conflict monitor: its faults are published as critical alarms."""
        self._outgoing.append((fault.time, fault_alarm(fault)))

    async def run(self, consumer: EventConsumer, ticker: Ticker, monitor: ConflictMonitor | None = None,
                  until: Callable[[], bool] = lambda: False) -> None:
        """Tick until `until()` is true. `monitor`, when given, checks what the adapter reads back after every
        tick (in simulation; a street cabinet has its own hardware monitor)."""
        receiving = asyncio.create_task(self._receive(consumer, ticker), name="controller-receive")
        try:
            while not until():
                now = await ticker.tick()
                self.controller.tick(now)
                if monitor is not None:
                    monitor.observe(ticker.now(), self.controller.adapter.read_link_states())
                await self._publish()
        finally:
            receiving.cancel()
            await asyncio.gather(receiving, return_exceptions=True)
            await self._publish()

    async def _receive(self, consumer: EventConsumer, ticker: Ticker) -> None:
        async for batch in consumer.batches():
            for envelope in batch:
                measurements = self.reader.measurements(envelope)
                if measurements and self.controller.measure(ticker.now(), measurements) is not None:
                    self.rejected += 1

    async def _publish(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        for time, body in outgoing:
            await self.publisher.publish(body, app=APP, source=self.source,
                                         capture_time=datetime.fromtimestamp(time, UTC))
