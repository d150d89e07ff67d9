"""The durable outbox on its own: order, shedding, persistence across reopen, replay retention; and the
token bucket."""
from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from edgesight.core.bus.outbox import Outbox, OutboxItem, _mark_sent_sql
from edgesight.core.bus.token_bucket import TokenBucket
from edgesight.core.events import Priority


def item(priority: Priority, seq: int, stream: str = "traffic/cam1") -> OutboxItem:
    return OutboxItem(priority, stream, seq, f"edgesight/s/traffic/cam1/k{seq}", f"payload {seq}".encode())


async def open_outbox(path: Path, max_pending: int = 1000, replay_retention: int = 1000) -> Outbox:
    return await Outbox.open(path, max_pending=max_pending, replay_retention=replay_retention, synchronous="normal")


def test_critical_before_bulk_then_oldest_first(tmp_path: Path) -> None:
    async def scenario() -> None:
        outbox = await open_outbox(tmp_path / "o.sqlite")
        await outbox.put([item(Priority.BULK, 0), item(Priority.BULK, 1)])
        await outbox.put([item(Priority.CRITICAL, 2), item(Priority.BULK, 3), item(Priority.CRITICAL, 4)])
        batch = await outbox.next_batch(10)
        assert [m.payload for m in batch] == [b"payload 2", b"payload 4", b"payload 0", b"payload 1", b"payload 3"]
        assert await outbox.next_batch(10) == [], "handed out once until a rewind"
        await outbox.put([item(Priority.BULK, 5)])
        assert [m.payload for m in await outbox.next_batch(10)] == [b"payload 5"]
        outbox.rewind()  # as after a reconnect: everything unsent again, except what is still in flight
        in_flight = {batch[0].row_id, batch[1].row_id}
        assert [m.payload for m in await outbox.next_batch(2, exclude=in_flight)] == [b"payload 0", b"payload 1"]
        await outbox.close()

    asyncio.run(scenario())


def test_rows_with_a_queued_sent_mark_are_not_handed_out_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        outbox = await open_outbox(tmp_path / "o.sqlite")
        await outbox.put([item(Priority.BULK, i) for i in range(4)])
        batch = await outbox.next_batch(10)
        outbox.mark_sent([batch[0].row_id, batch[1].row_id])  # PUBACKed, mark not committed yet
        outbox.rewind()
        assert [m.payload for m in await outbox.next_batch(10)] == [b"payload 2", b"payload 3"]
        await outbox.flush()
        assert outbox.pending == 2
        outbox.rewind()
        assert [m.payload for m in await outbox.next_batch(10)] == [b"payload 2", b"payload 3"]
        await outbox.close()

    asyncio.run(scenario())


def test_sent_marks_find_their_rows_by_primary_key(tmp_path: Path) -> None:
    """Through the outbox_unsent index instead, each mark would walk the whole backlog of unsent rows."""
    async def scenario() -> None:
        await (await open_outbox(tmp_path / "o.sqlite")).close()

    asyncio.run(scenario())
    with closing(sqlite3.connect(tmp_path / "o.sqlite")) as db:
        plan = db.execute("EXPLAIN QUERY PLAN " + _mark_sent_sql(3), (1, 2, 3)).fetchall()
    assert [row[3] for row in plan] == ["SEARCH outbox USING INTEGER PRIMARY KEY (rowid=?)"]


def test_full_outbox_sheds_oldest_bulk_never_critical(tmp_path: Path) -> None:
    async def scenario() -> None:
        outbox = await open_outbox(tmp_path / "o.sqlite", max_pending=10)
        await outbox.put([item(Priority.BULK, i) for i in range(8)])
        await outbox.put([item(Priority.CRITICAL, 8 + i) for i in range(5)])
        assert (outbox.pending, outbox.shed_total) == (10, 3)
        remaining = [m.payload for m in await outbox.next_batch(100)]
        assert b"payload 0" not in remaining and b"payload 3" in remaining  # the oldest bulk went first
        await outbox.put([item(Priority.CRITICAL, 13 + i) for i in range(10)] + [item(Priority.BULK, 23)])
        outbox.rewind()
        critical = [m for m in await outbox.next_batch(100) if m.topic.rsplit("k", 1)[1] not in map(str, range(8))]
        assert len(critical) == 15, "critical events are kept even past the limit"
        assert outbox.pending == 15 and outbox.shed_total == 3 + 5 + 1
        await outbox.close()

    asyncio.run(scenario())


def test_unsent_events_and_sequences_survive_reopen(tmp_path: Path) -> None:
    async def scenario() -> None:
        outbox = await open_outbox(tmp_path / "o.sqlite")
        await outbox.put([item(Priority.BULK, i) for i in range(5)])
        batch = await outbox.next_batch(2)
        outbox.mark_sent([m.row_id for m in batch])
        await outbox.close()

        reopened = await open_outbox(tmp_path / "o.sqlite")
        assert reopened.pending == 3
        assert reopened.last_seqs == {"traffic/cam1": 4}
        assert [m.payload for m in await reopened.next_batch(10)] == [b"payload 2", b"payload 3", b"payload 4"]
        # A consumer asks for seqs 0..1 again: they are retained, so they become unsent once more.
        assert await reopened.requeue("traffic/cam1", [(0, 1)]) == 2
        assert reopened.pending == 5 and reopened.changed.is_set()
        await reopened.close()

    asyncio.run(scenario())


def test_replay_retention_prunes_old_sent_events(tmp_path: Path) -> None:
    async def scenario() -> None:
        outbox = await open_outbox(tmp_path / "o.sqlite", replay_retention=100)
        await outbox.put([item(Priority.BULK, i) for i in range(1500)])
        batch = await outbox.next_batch(1500)
        outbox.mark_sent([m.row_id for m in batch])
        await outbox.flush()
        assert outbox.pending == 0
        assert await outbox.requeue("traffic/cam1", [(0, 1399)]) == 0, "pruned beyond the retention"
        assert await outbox.requeue("traffic/cam1", [(1400, 1499)]) == 100
        await outbox.close()

    asyncio.run(scenario())


def test_token_bucket_paces_after_the_burst() -> None:
    async def scenario() -> float:
        bucket = TokenBucket(rate=10_000, burst=1_000)
        start = time.monotonic()
        for _ in range(6):
            await bucket.take(1_000)  # the first is the burst, five more need 0.5 s of refill
        await bucket.take(50_000)  # larger than the burst: waits for a full bucket, never forever
        return time.monotonic() - start

    elapsed = asyncio.run(scenario())
    assert 0.55 <= elapsed < 1.5
