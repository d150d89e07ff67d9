"""The controller's clock: when to take the next decision step, and what time it is then.

On a street that is the wall clock, once a second. In a simulation the controller joins SUMO as a TraCI
client and each tick is one simulation step, so its decisions keep pace with simulated time however fast
the simulation runs."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol


class Ticker(Protocol):
    def now(self) -> float:
        """Controller time in epoch seconds."""

    async def tick(self) -> float:
        """Wait for the next decision step; returns its time."""


class WallClockTicker:
    def __init__(self, interval_s: float = 1.0) -> None:
        if interval_s <= 0:
            raise ValueError(f"WallClockTicker interval_s={interval_s}: must be a positive number of seconds")
        self.interval_s = interval_s
        self._next = time.time()

    def now(self) -> float:
        return time.time()

    async def tick(self) -> float:
        self._next += self.interval_s
        # Sleep to the next slot; after a stall, skip the missed slots rather than firing a burst of them.
        delay = self._next - time.time()
        if delay < 0:
            self._next = time.time()
        await asyncio.sleep(max(delay, 0.0))
        return time.time()


class SumoStepTicker:
    """`api` is a traci connection to a simulation that waits for this client (SUMO's --num-clients)."""

    def __init__(self, api: Any) -> None:
        self._api = api
        self._time = api.simulation.getTime()

    def now(self) -> float:
        return self._time

    @property
    def finished(self) -> bool:
        return self._api.simulation.getMinExpectedNumber() == 0

    async def tick(self) -> float:
        # simulationStep blocks until every client has stepped: run it off the event loop so MQTT keeps flowing.
        await asyncio.to_thread(self._api.simulationStep)
        self._time = self._api.simulation.getTime()
        return self._time
