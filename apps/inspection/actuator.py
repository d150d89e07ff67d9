"""The diverter as the reject controller sees it: one call per reject, naming the moment the part reaches it.

The controller makes the call `controller.actuation_lead_s` before that moment (`due_wall`); an actuator strikes
at `due_wall`, waiting out the lead if it has one. A local paddle or a PLC coil is run with a lead of about its
own mechanical delay; one reached over a network (diverter_link.MqttDiverterActuator) is given the lead to cover the
transport, and the line side holds the command until due.

Implementations: the simulator's paddle (sim.diverter.SimulatedDiverter), the MQTT diverter command topic
(diverter_link.MqttDiverterActuator, which a separate line obeys through diverter_link.DiverterCommandListener)
and a dry run that only logs. A PLC adapter (Modbus coil write, OPC UA method call) fits the same call."""
from __future__ import annotations

import logging
import time
from typing import Protocol

log = logging.getLogger(__name__)


class DiverterActuator(Protocol):
    async def fire(self, part_id: str, due_wall: float) -> None:
        """Divert the part that is at the diverter at `due_wall` (epoch seconds). Runs in a task of its own on the
        controller's loop, so it may wait until then; it must not block the loop."""
        ...


class LoggingActuator:
    """Dry run for commissioning: logs each firing command and keeps (wall time of the call, due time, part id)."""

    def __init__(self) -> None:
        self.fired: list[tuple[float, float, str]] = []

    async def fire(self, part_id: str, due_wall: float) -> None:
        self.fired.append((time.time(), due_wall, part_id))
        log.info("diverter command for %s, due in %.0f ms", part_id, (due_wall - time.time()) * 1000)
