"""EventConsumer against a real broker: dead letters with reasons, dedupe that survives a restart, shared
subscriptions that split a stream, and critical events overtaking queued bulk telemetry."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiomqtt

from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import Alarm, Crossing, Envelope, deadletter_topic, make_envelope, utc_now

TOPIC = "edgesight/site1/traffic/cam1/alarm"


def alarm(text: str, seq: int = 0) -> Envelope:
    return make_envelope(Alarm(alarm="deadline_miss", severity="info", text=text), site="site1", node="n1",
                         app="traffic", source="cam1", seq=seq, capture_time=utc_now())


async def first_batch_with(consumer: EventConsumer, text: str, timeout: float = 10) -> list[Envelope]:
    """Every event received up to and including the one whose alarm text is `text`."""
    seen: list[Envelope] = []

    async def run() -> list[Envelope]:
        async for batch in consumer.batches():
            seen.extend(batch)
            if any(getattr(e.data, "text", None) == text for e in batch):
                return seen
        return seen
    return await asyncio.wait_for(run(), timeout)


def test_malformed_messages_go_to_dead_letter_with_a_reason(mosquitto, bus_config, tmp_path: Path) -> None:
    config = bus_config(mosquitto)
    wrong_topic = alarm("x").to_json()
    bad = {
        "not json": (TOPIC, b"\x00garbage"),
        "unknown kind": ("edgesight/site1/traffic/cam1/teleport", json.dumps({"kind": "teleport"}).encode()),
        "schema": (TOPIC, alarm("y").to_json().replace(b'"severity":"info"', b'"severity":"apocalyptic"')),
        "topic": ("edgesight/site1/traffic/cam9/alarm", wrong_topic),
    }

    async def scenario() -> tuple[list[dict], list[Envelope]]:
        async with EventConsumer(config, name="dl-test", state_path=tmp_path / "c.sqlite", replay=False) as consumer, \
                aiomqtt.Client("127.0.0.1", mosquitto.port) as raw:
            await raw.subscribe(deadletter_topic("site1", "dl-test"), qos=1)
            for topic, payload in bad.values():
                await raw.publish(topic, payload, qos=1)
            good = alarm("good")
            await raw.publish(good.topic, good.to_json(), qos=1)
            events = await first_batch_with(consumer, "good")
            letters = []
            async for message in raw.messages:
                letters.append(json.loads(message.payload))
                if len(letters) == len(bad):
                    break
            return letters, events

    letters, events = asyncio.run(scenario())
    assert [e.data.text for e in events] == ["good"]
    reasons = " | ".join(letter["reason"] for letter in letters)
    assert "not UTF-8 JSON" in reasons
    assert "unknown event kind 'teleport'" in reasons
    assert "data.severity" in reasons
    assert "does not match the payload" in reasons
    assert all(letter["consumer"] == "dl-test" and letter["topic"] for letter in letters)


def test_duplicates_are_dropped_even_after_a_restart(mosquitto, bus_config, tmp_path: Path) -> None:
    config = bus_config(mosquitto)
    state = tmp_path / "c.sqlite"
    event = alarm("once")

    async def deliver(*envelopes: Envelope) -> None:
        async with aiomqtt.Client("127.0.0.1", mosquitto.port) as raw:
            for envelope in envelopes:
                await raw.publish(envelope.topic, envelope.to_json(), qos=1)

    async def scenario() -> tuple[list[Envelope], list[Envelope], int]:
        async with EventConsumer(config, name="dup-test", state_path=state, replay=False) as consumer:
            await deliver(event, event, alarm("end-1", 1))
            first = await first_batch_with(consumer, "end-1")
        async with EventConsumer(config, name="dup-test", state_path=state, replay=False) as consumer:
            await deliver(event, alarm("end-2", 2))
            second = await first_batch_with(consumer, "end-2")
            return first, second, consumer.duplicates

    first, second, duplicates = asyncio.run(scenario())
    assert [e.data.text for e in first].count("once") == 1
    assert [e.data.text for e in second] == ["end-2"]
    assert duplicates == 1


def test_shared_subscription_splits_the_stream(mosquitto, bus_config, tmp_path: Path) -> None:
    config = bus_config(mosquitto)
    n = 200

    async def drain(consumer: EventConsumer, into: list[Envelope], stop: asyncio.Event) -> None:
        async for batch in consumer.batches():
            into.extend(e for e in batch if e.kind == "crossing")
            if stop.is_set():
                return

    async def scenario() -> tuple[list[Envelope], list[Envelope]]:
        a: list[Envelope] = []
        b: list[Envelope] = []
        stop = asyncio.Event()
        async with EventConsumer(config, name="w1", group="ingest", state_path=tmp_path / "w1.sqlite") as w1, \
                EventConsumer(config, name="w2", group="ingest", state_path=tmp_path / "w2.sqlite") as w2, \
                EventPublisher(config) as publisher:
            tasks = [asyncio.create_task(drain(w1, a, stop)), asyncio.create_task(drain(w2, b, stop))]
            for i in range(n):
                await publisher.publish(Crossing(track_id=i, line="l1", lane="1", vehicle_class="car", direction="in"),
                                        app="traffic", source="cam1")
            assert await publisher.drain(10)
            while len(a) + len(b) < n:
                await asyncio.sleep(0.05)
            stop.set()
            for task in tasks:
                task.cancel()
        return a, b

    a, b = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert a and b, "both workers should get a share"
    assert sorted(e.seq for e in a + b) == list(range(n))


def test_critical_events_overtake_queued_bulk(mosquitto, bus_config, tmp_path: Path) -> None:
    config = bus_config(mosquitto, max_inflight=1)
    order: list[str] = []

    async def scenario() -> None:
        mosquitto.kill()  # the uplink is down: everything waits in the outbox
        async with EventPublisher(config) as publisher:
            for i in range(30):
                await publisher.publish(Crossing(track_id=i, line="l1", lane="1", vehicle_class="car", direction="in"),
                                        app="traffic", source="cam1")
            for i in range(3):
                await publisher.publish(Alarm(alarm="conflict_fault", severity="critical", text=f"c{i}"),
                                        app="traffic", source="cam1")
            mosquitto.restart()
            async with aiomqtt.Client("127.0.0.1", mosquitto.port) as sub:
                await sub.subscribe("edgesight/site1/traffic/#", qos=1)
                async for message in sub.messages:
                    order.append(message.topic.value.rsplit("/", 1)[1])
                    if len(order) == 33:
                        break

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert order[:3] == ["alarm"] * 3 and order[3:] == ["crossing"] * 30

