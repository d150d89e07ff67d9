"""The trap from the issue: a consumer slower than the stream, behind a broker that caps its queue and
drops QoS 1 messages past it. It must either end with everything (replays on) or say exactly which
sequence numbers it missed (replays off)."""
from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import Crossing

N = 1500
STREAM = "n1/traffic/cam1"


def slow_run(config, tmp_path: Path, *, replay: bool, settle_s: float) -> tuple[set[int], dict[str, list[int]]]:
    """Publish N crossings as fast as possible while a consumer on its own thread and event loop blocks
    4 ms per event (a synchronous write, say), so it really falls behind at the broker. Once the publisher
    has drained and no crossing has come for `settle_s`, return the seqs received and what the consumer
    reports missing."""
    received: set[int] = set()
    report: dict[str, list[int]] = {}
    subscribed, published = threading.Event(), threading.Event()

    async def consume() -> None:
        async with EventConsumer(config, name="slow", state_path=tmp_path / "slow.sqlite", replay=replay,
                                 replay_interval_s=0.5, batch_size=50) as consumer:
            subscribed.set()
            last_crossing = time.monotonic()
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if published.is_set() and time.monotonic() - last_crossing > settle_s:
                    if not replay or len(received) == N:
                        break
                try:
                    batch = await asyncio.wait_for(consumer.next_batch(), settle_s)
                except TimeoutError:
                    continue
                for event in batch:
                    if event.kind == "crossing":
                        time.sleep(0.004)  # deliberately slow, blocking its loop as a synchronous handler would
                        received.add(event.seq)
                        last_crossing = time.monotonic()
            report.update(consumer.missing())

    async def publish() -> None:
        async with EventPublisher(config) as publisher:
            for i in range(N):
                await publisher.publish(Crossing(track_id=i, line="l1", lane="1", vehicle_class="car", direction="in"),
                                        app="traffic", source="cam1")
            assert await publisher.drain(60)
            await asyncio.sleep(1.0)  # a heartbeat after the last event announces the stream's tail
            published.set()
            while consumer_thread.is_alive():  # keep serving replay requests until the consumer is done
                await asyncio.sleep(0.1)

    consumer_thread = threading.Thread(target=lambda: asyncio.run(consume()))
    consumer_thread.start()
    assert subscribed.wait(10)
    asyncio.run(publish())
    consumer_thread.join()
    return received, report


@pytest.mark.slow
def test_slow_consumer_reports_exactly_what_it_missed(mosquitto_factory, bus_config, tmp_path: Path) -> None:
    broker = mosquitto_factory(max_queued_messages=50)
    received, missing = slow_run(bus_config(broker), tmp_path, replay=False, settle_s=2.0)
    assert "Outgoing messages are being dropped" in broker.log_text(), "the broker should have dropped some"
    assert missing.get(STREAM), "drops happened, so the consumer must report a gap"
    assert set(missing[STREAM]) == set(range(N)) - received
    assert set(missing[STREAM]).isdisjoint(received)


@pytest.mark.slow
def test_slow_consumer_gets_everything_through_replays(mosquitto_factory, bus_config, tmp_path: Path) -> None:
    broker = mosquitto_factory(max_queued_messages=50)
    received, missing = slow_run(bus_config(broker), tmp_path, replay=True, settle_s=1.0)
    assert "Outgoing messages are being dropped" in broker.log_text()
    assert received == set(range(N))
    assert not missing.get(STREAM)
