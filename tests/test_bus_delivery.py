"""At-least-once end to end, exactly-once after dedupe: 10,000 events through a broker that is killed -9,
and through a publisher process that is killed -9 and restarted."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import Alarm, Envelope

N = 10_000
STREAM = "n1/traffic/cam1"


async def collect(consumer: EventConsumer, until: int, timeout: float, into: list[Envelope]) -> None:
    """Gather alarm events of the test stream into `into` until `until` distinct seqs arrived."""
    async def run() -> None:
        async for batch in consumer.batches():
            into.extend(e for e in batch if e.kind == "alarm")
            if len({e.seq for e in into}) >= until:
                return
    await asyncio.wait_for(run(), timeout)


def assert_exactly_once(events: list[Envelope]) -> None:
    ids = [e.id for e in events]
    assert len(ids) == len(set(ids)), "a duplicate event id reached the handler"
    assert sorted(e.seq for e in events) == list(range(N))
    assert sorted(int(e.data.text) for e in events) == list(range(N))


@pytest.mark.slow
def test_broker_killed_midway_loses_nothing(mosquitto, bus_config, tmp_path: Path) -> None:
    config = bus_config(mosquitto)
    received: list[Envelope] = []

    async def scenario() -> None:
        consumer = EventConsumer(config, name="ingest-a", state_path=tmp_path / "consumer.sqlite", replay_interval_s=0.5)
        async with consumer, EventPublisher(config) as publisher:
            collector = asyncio.create_task(collect(consumer, N, 120, received))
            for i in range(N):
                await publisher.publish(Alarm(alarm="deadline_miss", severity="info", text=str(i)), app="traffic", source="cam1")
                if i == N // 2:
                    mosquitto.kill()
                    await asyncio.sleep(1.0)  # the publisher keeps queueing into its outbox meanwhile
                    mosquitto.restart()
                if i % 200 == 0:
                    await asyncio.sleep(0)  # let the pump and the consumer run between bursts
            await collector
            assert consumer.missing().get(STREAM, []) == []

    asyncio.run(scenario())
    assert_exactly_once(received)


PUBLISHER_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from edgesight.core.bus.config import BusConfig
    from edgesight.core.bus.publisher import EventPublisher
    from edgesight.core.events import Alarm

    async def main() -> None:
        config = BusConfig.model_validate_json(sys.argv[1])
        async with EventPublisher(config) as publisher:
            # Resume after the last event this node committed: the outbox remembers the stream's seq.
            start = publisher.streams.get("traffic/cam1", -1) + 1
            for i in range(start, int(sys.argv[2])):
                await publisher.publish(Alarm(alarm="deadline_miss", severity="info", text=str(i)), app="traffic", source="cam1")
                print(i, flush=True)
            await publisher.drain(60)
            print("drained", flush=True)

    asyncio.run(main())
""")


@pytest.mark.slow
def test_publisher_killed_midway_resends_on_restart(mosquitto, bus_config, tmp_path: Path) -> None:
    config = bus_config(mosquitto)
    received: list[Envelope] = []

    def start_publisher() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", PUBLISHER_SCRIPT, config.model_dump_json(), str(N)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    async def scenario() -> None:
        consumer = EventConsumer(config, name="ingest-b", state_path=tmp_path / "consumer.sqlite", replay_interval_s=0.5)
        async with consumer:
            collector = asyncio.create_task(collect(consumer, N, 120, received))
            first = start_publisher()
            assert first.stdout is not None
            # Kill it once it has committed about half; its outbox holds whatever was not yet acknowledged.
            while True:
                line = await asyncio.to_thread(first.stdout.readline)
                assert line, "the publisher process ended before reaching the midpoint"
                if line.strip().isdigit() and int(line) >= N // 2:
                    break
            first.send_signal(signal.SIGKILL)
            first.wait()
            second = start_publisher()
            out, _ = await asyncio.to_thread(second.communicate, timeout=120)
            assert second.returncode == 0 and "drained" in out
            await collector

    asyncio.run(scenario())
    assert_exactly_once(received)
