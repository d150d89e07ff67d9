"""The diverter reached over MQTT, for a reject controller that runs apart from the line: the controller publishes
one command per reject on the line's diverter command topic (QoS 1); the line side (the simulator's paddle here, a
PLC gateway on a real line) subscribes and strikes at the command's due time, once per part.

Commands carry the moment the part reaches the diverter rather than meaning "now": the bus adds from a few to a
few hundred milliseconds (verdict bus latency p99 105 ms in `evaluate` on the shared 2-core box) while the paddle's
window is +-40 mm, 57 ms at 0.7 m/s. The controller sends each command `controller.actuation_lead_s` early (at least
TRANSPORT_LEAD_S on this route) and the line side holds it until due. A command that arrives after its due time is not struck (it would push off whichever
part is at the diverter by then): it is counted and logged, like the controller's own deadline misses.

The topic, edgesight/<site>/inspection/<line>/diverter/command, is one level deeper than event topics, so the
ingest's site filter never takes commands for events."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Literal

import aiomqtt
from pydantic import BaseModel, ConfigDict, ValidationError

from edgesight.core.bus.config import BusConfig
from edgesight.core.bus.connection import stay_connected
from edgesight.core.events import TOPIC_ROOT, Id

from .actuator import DiverterActuator
from .config import InspectionConfig
from .verdict_publisher import APP

log = logging.getLogger(__name__)

# The least lead a command over the broker needs: verdict bus latency p99 was 105-157 ms in `evaluate` on the shared
# 2-core box (README, inspection section). A line config asking for less gets this much on the MQTT route.
TRANSPORT_LEAD_S = 0.25


def with_transport_lead(config: InspectionConfig) -> InspectionConfig:
    """`config` with `controller.actuation_lead_s` at least TRANSPORT_LEAD_S (the MQTT route's own need)."""
    if config.controller.actuation_lead_s >= TRANSPORT_LEAD_S:
        return config
    log.info("diverter commands over MQTT leave %.2f s ahead of their due time (the config asks %.2f s)",
             TRANSPORT_LEAD_S, config.controller.actuation_lead_s)
    controller = config.controller.model_copy(update={"actuation_lead_s": TRANSPORT_LEAD_S})
    return config.model_copy(update={"controller": controller})


class DiverterCommand(BaseModel):
    """Divert part `part_id`, which reaches the diverter at `due_wall` (epoch seconds)."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    line_id: Id
    part_id: Id
    due_wall: float
    issued_wall: float


def diverter_command_topic(site: str, line_id: str) -> str:
    return f"{TOPIC_ROOT}/{site}/{APP}/{line_id}/diverter/command"


class MqttDiverterActuator:
    """Controller side: `async with MqttDiverterActuator(bus, line_id) as actuator`, then `fire` queues a command
    that a sender publishes at QoS 1, reconnecting (and resending the command it was on) if the broker goes away."""

    def __init__(self, bus: BusConfig, line_id: str, *, client_id: str | None = None) -> None:
        self.bus = bus
        self.line_id = line_id
        self.topic = diverter_command_topic(bus.site_id, line_id)
        self.client_id = client_id or f"{bus.node_id}-diverter"
        self.sent = 0
        self._queue: asyncio.Queue[DiverterCommand] = asyncio.Queue()
        self._unsent: DiverterCommand | None = None  # taken off the queue, not yet acknowledged
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "MqttDiverterActuator":
        connected = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(stay_connected(self.bus, self.client_id, self._send,
                                                        first_attempt=connected))
        await connected  # raises if the broker refuses this client
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def fire(self, part_id: str, due_wall: float) -> None:
        self._queue.put_nowait(DiverterCommand(line_id=self.line_id, part_id=part_id, due_wall=due_wall,
                                               issued_wall=time.time()))
        log.info("diverter command for %s on %s, due in %.0f ms", part_id, self.topic, (due_wall - time.time()) * 1000)

    async def _send(self, client: aiomqtt.Client) -> None:
        while True:
            if self._unsent is None:
                self._unsent = await self._queue.get()
            await client.publish(self.topic, self._unsent.model_dump_json().encode(), qos=1)
            self._unsent = None
            self.sent += 1


class DiverterCommandListener:
    """Line side: `await listener.run()` until cancelled. Strikes `diverter` once per part at each command's due time;
    counts redelivered commands (duplicates), late ones (not struck) and unreadable ones."""

    def __init__(self, bus: BusConfig, line_id: str, diverter: DiverterActuator, *, client_id: str | None = None,
                 remember: int = 4096) -> None:
        self.bus = bus
        self.topic = diverter_command_topic(bus.site_id, line_id)
        self.client_id = client_id or f"{bus.node_id}-diverter-{line_id}"
        self.diverter = diverter
        self.ready = asyncio.Event()  # set once subscribed
        self.struck = 0
        self.duplicates = 0
        self.late: list[DiverterCommand] = []
        self.invalid = 0
        self.arrival_slack_s: list[float] = []  # due - received, per command struck
        self._remember = remember  # part ids kept against redelivery: far more than are ever between camera and diverter
        self._known: OrderedDict[str, None] = OrderedDict()
        self._strokes: set[asyncio.Task] = set()

    async def run(self) -> None:
        connected = asyncio.get_running_loop().create_future()
        refused = await stay_connected(self.bus, self.client_id, self._listen, first_attempt=connected)
        if refused is not None:
            raise refused

    async def settle(self) -> None:
        """Wait for the strokes already accepted (end of a run)."""
        while self._strokes:
            await asyncio.gather(*self._strokes)

    async def _listen(self, client: aiomqtt.Client) -> None:
        await client.subscribe(self.topic, qos=1)
        self.ready.set()
        async for message in client.messages:
            self._accept(message.payload)

    def _accept(self, payload: bytes) -> None:
        now = time.time()
        try:
            command = DiverterCommand.model_validate_json(payload)
        except ValidationError as exc:
            self.invalid += 1
            log.warning("%s: unreadable diverter command ignored (%s)", self.topic, exc.errors()[0]["msg"])
            return
        if command.part_id in self._known:
            self.duplicates += 1
            return
        self._known[command.part_id] = None
        if len(self._known) > self._remember:
            self._known.popitem(last=False)
        if command.due_wall < now:
            self.late.append(command)
            log.error("diverter command for %s arrived %.0f ms after the part passed; not struck",
                      command.part_id, (now - command.due_wall) * 1000)
            return
        self.arrival_slack_s.append(command.due_wall - now)
        self.struck += 1
        stroke = asyncio.create_task(self.diverter.fire(command.part_id, command.due_wall))
        self._strokes.add(stroke)
        stroke.add_done_callback(self._strokes.discard)
