"""The diverter as the reject controller sees it: one call, made at the moment the part is at the diverter.

Implementations: the simulator's paddle (sim.diverter.SimulatedDiverter) and a dry-run one that only logs; a PLC
adapter (Modbus/OPC UA coil write) fits the same call."""
from __future__ import annotations

import logging
import time
from typing import Protocol

log = logging.getLogger(__name__)


class DiverterActuator(Protocol):
    async def fire(self, part_id: str) -> None:
        """Divert the part that is at the diverter now. Must return quickly (it runs on the controller's loop)."""
        ...


class LoggingActuator:
    """Dry run for commissioning: logs each firing command and keeps (wall time, part id)."""

    def __init__(self) -> None:
        self.fired: list[tuple[float, str]] = []

    async def fire(self, part_id: str) -> None:
        self.fired.append((time.time(), part_id))
        log.info("diverter fired for %s", part_id)
