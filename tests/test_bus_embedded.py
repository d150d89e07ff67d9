"""With no broker configured, the embedded amqtt broker carries events end to end (MQTT 3.1.1)."""
from __future__ import annotations

import asyncio
from pathlib import Path

from edgesight.core.bus.config import BusConfig, OutboxConfig
from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.embedded import broker_for
from edgesight.core.bus.mosquitto import free_port
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import PartVerdict


def test_embedded_broker_round_trip(tmp_path: Path) -> None:
    config = BusConfig(site_id="site1", node_id="n1", embedded_port=free_port(),
                       outbox=OutboxConfig(path=tmp_path / "outbox.sqlite"), heartbeat_s=0.5)

    async def scenario() -> list[str]:
        async with broker_for(config), \
                EventConsumer(config, name="ingest", state_path=tmp_path / "c.sqlite", replay=False) as consumer, \
                EventPublisher(config) as publisher:
            for i in range(20):
                await publisher.publish(PartVerdict(part_id=f"p{i}", verdict="pass", belt_position_mm=i * 10.0),
                                        app="inspection", source="cam1")
            parts: list[str] = []
            while len(parts) < 20:
                batch = await asyncio.wait_for(consumer.next_batch(), 10)
                parts += [e.data.part_id for e in batch if e.kind == "part_verdict"]
            assert await publisher.drain(5)
            return parts

    assert asyncio.run(scenario()) == [f"p{i}" for i in range(20)]
