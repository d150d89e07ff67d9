"""`edgesight ingest` end to end: a real broker, a publisher, the ingest job, and a replayed stream that
must not be stored twice, on SQLite and on PostgreSQL."""
from __future__ import annotations

import asyncio
from pathlib import Path

import aiomqtt

from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import Alarm
from edgesight.core.store.config import StoreConfig
from edgesight.core.store.event_store import EventStore
from edgesight.core.store.ingest import run_ingest

N = 300


async def wait_for_count(store: EventStore, kind: str, count: int, timeout: float = 30) -> None:
    async def poll() -> None:
        while await asyncio.to_thread(store.count, kind) < count:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(poll(), timeout)


def test_replayed_stream_is_stored_once(mosquitto, bus_config, store_config: StoreConfig, tmp_path: Path) -> None:
    config = bus_config(mosquitto)
    ingest_config = config.model_copy(update={"node_id": "ingest"})

    async def replay(envelopes: list) -> None:
        async with aiomqtt.Client("127.0.0.1", mosquitto.port) as raw:
            for envelope in envelopes:
                await raw.publish(envelope.topic, envelope.to_json(), qos=1)

    async def scenario() -> None:
        store = EventStore.open(store_config)
        stop = asyncio.Event()
        job = asyncio.create_task(run_ingest(ingest_config, store_config, name="ingest-1", state_path=tmp_path / "s1.sqlite", stop=stop))
        async with EventPublisher(config) as publisher:
            await asyncio.sleep(0.3)  # let the ingest subscribe before the first event
            sent = [await publisher.publish(Alarm(alarm="stale_measurement", severity="warning", text=f"#{i}"),
                                            app="traffic", source="cam1") for i in range(N)]
            await wait_for_count(store, "alarm", N)

            await replay(sent)  # same ids again: the consumer's dedup window drops them
            # Events of one topic arrive in order, so once a later one is stored the replay has been handled.
            await publisher.publish(Alarm(alarm="deadline_miss", severity="info", text="marker 1"), app="traffic", source="cam1")
            await wait_for_count(store, "alarm", N + 1)
            # A new worker with no dedup memory: only the store's idempotent write stands between the replay
            # and a duplicate row.
            stop.set()
            first = await job
            stop = asyncio.Event()
            job = asyncio.create_task(run_ingest(ingest_config, store_config, name="ingest-2", state_path=tmp_path / "s2.sqlite", stop=stop))
            await asyncio.sleep(0.3)
            await replay(sent)
            marker = await publisher.publish(Alarm(alarm="deadline_miss", severity="info", text="marker 2"), app="traffic", source="cam1")
            await wait_for_count(store, "alarm", N + 2)
        await asyncio.sleep(0.2)
        stop.set()
        second = await job
        assert first.stored >= N and first.duplicates >= N
        assert second.stored >= 1 and second.stored < N  # the replay reached it and was skipped by the store
        assert store.count("alarm") == N + 2
        stored_texts = sorted(r.payload for r in store.recent(kind="alarm", limit=10 * N))
        assert len(stored_texts) == len(set(stored_texts)) == N + 2
        assert marker.id in {r.id for r in store.recent(kind="alarm", limit=1)}
        store.close()

    asyncio.run(scenario())
