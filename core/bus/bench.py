"""`edgesight bench bus`: what the durable outbox costs against plain aiomqtt QoS 1, on one broker.

Both variants send the same event (a `crossing` envelope, stamped with its publish time before it waits
for anything) with the same in-flight window of unacknowledged messages to the same subscriber, in two
phases: as fast as possible (events/s, first publish to last receipt, `WINDOW` producers each publishing
one event after the other), and paced at a fixed rate (publish-to-consumer latency, p50/p99). Plain
aiomqtt returns from a publish on PUBACK, the outbox publisher once the event is committed; its pump keeps
`WINDOW` messages in flight. Publisher and subscriber share one process and loop, as they would share one
edge box; the subscriber only parses each payload's publish time.

The variants take turns, several rounds in alternating order, so that a machine that gets busier or
quieter during the run favours neither: events/s is the median over the rounds, latencies are pooled.
"""
from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiomqtt

from ..events import Crossing, make_envelope, utc_now
from .config import BusConfig, OutboxConfig
from .mosquitto import MosquittoProcess
from .publisher import EventPublisher

SITE, NODE, APP, SOURCE = "bench", "bench-node", "traffic", "cam1"
TOPIC_FILTER = f"edgesight/{SITE}/{APP}/#"
WINDOW = 64

Publish = Callable[[int], Coroutine[Any, Any, None]]


@dataclass
class VariantFigures:
    events_per_s: float
    p50_ms: float
    p99_ms: float


@dataclass
class BenchFigures:
    broker: str
    events: int
    rate: float
    seconds: float
    rounds: int
    plain: VariantFigures
    outbox: VariantFigures

    @property
    def throughput_ratio(self) -> float:
        return self.outbox.events_per_s / self.plain.events_per_s

    def as_dict(self) -> dict[str, object]:
        figures = asdict(self)
        figures["throughput_ratio"] = round(self.throughput_ratio, 3)
        figures["targets_met"] = self.throughput_ratio >= 0.75 and self.outbox.p99_ms < 20.0
        return figures


def crossing(i: int) -> Crossing:
    return Crossing(track_id=i, line="l1", lane="1", vehicle_class="car", direction="in", speed_kmh=42.0)


class _Receiver:
    """Subscriber that records, per message, receipt time minus the payload's publish time."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.latencies_ms: list[float] = []
        self._target = 0
        self._done = asyncio.Event()
        self.last_receipt = 0.0

    def expect(self, count: int) -> asyncio.Event:
        self.latencies_ms.clear()
        self._target = count
        self._done = asyncio.Event()
        return self._done

    async def run(self) -> None:
        async for message in self.client.messages:
            if not message.topic.value.endswith("/crossing"):
                continue
            sent = datetime.fromisoformat(json.loads(message.payload)["publish_time"])
            self.latencies_ms.append((utc_now() - sent).total_seconds() * 1000)
            self.last_receipt = time.perf_counter()
            if len(self.latencies_ms) >= self._target:
                self._done.set()


async def _flat_out(receiver: _Receiver, publish: Publish, events: int) -> float:
    """Events/s from the first publish to the last receipt, with `WINDOW` producers."""
    done = receiver.expect(events)
    start = time.perf_counter()
    numbers = iter(range(events))

    async def producer() -> None:
        for i in numbers:
            await publish(i)

    await asyncio.gather(*(producer() for _ in range(WINDOW)))
    await asyncio.wait_for(done.wait(), 120)
    return events / (receiver.last_receipt - start)


async def _paced(receiver: _Receiver, publish: Publish, rate: float, seconds: float) -> list[float]:
    """Publish-to-receipt latencies (ms) of events published at `rate` for `seconds`."""
    paced = int(rate * seconds)
    done = receiver.expect(paced)
    begin = time.perf_counter()
    publishing: list[asyncio.Task] = []
    for i in range(paced):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        publishing.append(asyncio.create_task(publish(i)))
    await asyncio.wait_for(done.wait(), 60)
    await asyncio.gather(*publishing)  # the subscriber may get the last events before their PUBACKs come
    return list(receiver.latencies_ms)


def _figures(events_per_s: list[float], latencies_ms: list[float]) -> VariantFigures:
    latencies = sorted(latencies_ms)
    return VariantFigures(
        events_per_s=round(statistics.median(events_per_s), 1),
        p50_ms=round(statistics.median(latencies), 2),
        p99_ms=round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
    )


async def _bench(
    config: BusConfig, events: int, rate: float, seconds: float, rounds: int
) -> tuple[VariantFigures, VariantFigures]:
    async with aiomqtt.Client(config.host, config.port, identifier="bench-sub",
                              protocol=aiomqtt.ProtocolVersion.V5) as subscriber, \
            aiomqtt.Client(config.host, config.port, identifier="bench-plain", protocol=aiomqtt.ProtocolVersion.V5,
                           max_inflight_messages=WINDOW) as plain, \
            EventPublisher(config) as publisher:
        await subscriber.subscribe(TOPIC_FILTER, qos=1)
        receiver = _Receiver(subscriber)
        receiving = asyncio.create_task(receiver.run())
        plain.pending_calls_threshold = WINDOW + 16
        in_flight = asyncio.Semaphore(WINDOW)

        async def publish_plain(i: int) -> None:
            envelope = make_envelope(crossing(i), site=SITE, node=NODE, app=APP, source=SOURCE, seq=i,
                                     capture_time=utc_now())
            async with in_flight:
                await plain.publish(envelope.topic, envelope.to_json(), qos=1)

        async def publish_outbox(i: int) -> None:
            await publisher.publish(crossing(i), app=APP, source=SOURCE)

        variants = {"plain": publish_plain, "outbox": publish_outbox}
        events_per_s: dict[str, list[float]] = {name: [] for name in variants}
        latencies_ms: dict[str, list[float]] = {name: [] for name in variants}
        try:
            for round_ in range(rounds):
                order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
                for name in order:
                    events_per_s[name].append(await _flat_out(receiver, variants[name], events))
                for name in order:
                    latencies_ms[name] += await _paced(receiver, variants[name], rate, seconds)
        finally:
            receiving.cancel()
    return _figures(events_per_s["plain"], latencies_ms["plain"]), _figures(events_per_s["outbox"], latencies_ms["outbox"])


def run_bench(
    broker_url: str | None, *, events: int = 10_000, rate: float = 1_000, seconds: float = 5.0, rounds: int = 3
) -> BenchFigures:
    """Run both variants against `broker_url`, or against a private Mosquitto started for the run."""
    with tempfile.TemporaryDirectory(prefix="edgesight-bench-") as folder:
        workdir = Path(folder)
        broker = None if broker_url else MosquittoProcess(workdir / "mosquitto")
        if broker is not None:
            broker.start()
        url = broker_url or broker.url  # type: ignore[union-attr]
        try:
            config = BusConfig(site_id=SITE, node_id=NODE, broker_url=url, max_inflight=WINDOW,
                               heartbeat_s=3600, outbox=OutboxConfig(path=workdir / "outbox.sqlite"))
            plain, outbox = asyncio.run(_bench(config, events, rate, seconds, rounds))
        finally:
            if broker is not None:
                broker.kill()
    return BenchFigures(broker=url if broker_url else "private mosquitto (loopback)", events=events, rate=rate,
                        seconds=seconds, rounds=rounds, plain=plain, outbox=outbox)
