"""The embedded broker: with no `bus.broker_url` the main job runs an in-process MQTT broker (amqtt) on
127.0.0.1, so a first run needs nothing installed. It speaks MQTT 3.1.1 only and keeps its state in
memory; production sites use Mosquitto (see mosquitto.conf beside this file)."""
from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from types import TracebackType

from amqtt.broker import Broker

from .config import BusConfig


class EmbeddedBroker:
    def __init__(self, port: int) -> None:
        self.port = port
        self._broker: Broker | None = None

    async def __aenter__(self) -> EmbeddedBroker:
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            # Loopback only, so anonymous access reaches nothing beyond this machine.
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        # amqtt logs every packet at INFO; keep its own warnings and errors only.
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        self._broker = Broker(config)
        try:
            await self._broker.start()
        except Exception as exc:
            raise RuntimeError(f"embedded MQTT broker: cannot listen on 127.0.0.1:{self.port} ({exc}); "
                               "set bus.embedded_port to a free port or bus.broker_url to a running broker") from None
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._broker is not None:
            await self._broker.shutdown()


@contextlib.asynccontextmanager
async def broker_for(config: BusConfig) -> AsyncIterator[None]:
    """Run the embedded broker for the duration of the block when the config names no broker."""
    if config.broker_url is not None:
        yield
        return
    async with EmbeddedBroker(config.embedded_port):
        yield
