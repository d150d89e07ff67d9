"""The ingest job: every event of a site, from the bus into the store, once.

The consumer hands over deduplicated batches; the store write is idempotent too (a resent event whose id is
already stored is skipped), so replays, redeliveries and several workers in one shared-subscription group
all end with each event stored once. Writes run on one thread: SQLite wants a single writer, and big
batches keep ingest ahead of the broker's per-client queue limit.
"""
from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..bus.config import BusConfig
from ..bus.consumer import EventConsumer
from .config import StoreConfig
from .event_store import EventStore

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    stored: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    missing: int = 0


async def run_ingest(
    bus: BusConfig,
    store_config: StoreConfig,
    *,
    name: str,
    state_path: Path,
    group: str | None = None,
    stop: asyncio.Event | None = None,
    report_every_s: float = 60.0,
) -> IngestReport:
    """Run until `stop` is set (forever without one); returns the totals."""
    report = IngestReport()
    stop = stop or asyncio.Event()
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
    loop = asyncio.get_running_loop()
    store = await loop.run_in_executor(writer, EventStore.open, store_config)
    try:
        async with EventConsumer(bus, name=name, state_path=state_path, group=group) as consumer:
            last_report = time.monotonic()
            while not stop.is_set():
                next_batch = asyncio.ensure_future(consumer.next_batch())
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait({next_batch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not next_batch.done():
                    next_batch.cancel()
                    await asyncio.gather(next_batch, return_exceptions=True)
                    break
                batch = next_batch.result()
                report.stored += await loop.run_in_executor(writer, store.write, batch)
                report.duplicates, report.dead_lettered = consumer.duplicates, consumer.dead_lettered
                report.missing = sum(len(v) for v in consumer.missing().values())
                if time.monotonic() - last_report >= report_every_s:
                    last_report = time.monotonic()
                    log.info("ingest %s: %s", name, report)
    finally:
        await loop.run_in_executor(writer, store.close)
        writer.shutdown(wait=True)
    return report
