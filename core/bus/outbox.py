"""Durable outbox: the on-disk queue between `EventPublisher.publish()` and the broker.

An event is committed here before it is offered to MQTT and is marked sent only on PUBACK, so a broker
outage, a network cut or a kill -9 of the publisher loses nothing: whatever is unsent on restart goes out.
Sent events stay a while (`replay_retention`) so a consumer that lost some downstream can ask for them again.

SQLite in WAL mode on one dedicated thread (the event loop never waits on the disk). Writes are group
commits: callers that arrive while a transaction runs share the next one.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from prometheus_client import Counter

from ..events import Priority

T = TypeVar("T")

SHED_TOTAL = Counter("edgesight_outbox_shed_total", "Bulk events dropped because the outbox was full")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    priority INTEGER NOT NULL,
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL DEFAULT 0,
    sent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (sent, priority, id);
CREATE INDEX IF NOT EXISTS outbox_stream_seq ON outbox (stream, seq);
CREATE TABLE IF NOT EXISTS sequences (stream TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    priority: Priority
    stream: str
    seq: int
    topic: str
    payload: bytes
    retain: bool = False


@dataclass(frozen=True, slots=True)
class PendingMessage:
    row_id: int
    topic: str
    payload: bytes
    retain: bool


class _GroupCommit:
    """Collects work from many callers and runs it as one transaction per turn of the writer thread."""

    def __init__(self, run: Callable[[list], None], submit: Callable[[Callable[[], None]], asyncio.Future]) -> None:
        self._run, self._submit = run, submit
        self._queue: list[tuple[object, asyncio.Future | None]] = []
        self._task: asyncio.Task | None = None

    def add(self, work: object, waiter: asyncio.Future | None) -> None:
        self._queue.append((work, waiter))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            works = [w for w, _ in batch]
            try:
                await self._submit(lambda: self._run(works))
            except Exception as exc:  # noqa: BLE001 - handed to every waiter, who re-raises it
                for _, waiter in batch:
                    if waiter is not None and not waiter.done():
                        waiter.set_exception(exc)
                continue
            for _, waiter in batch:
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)

    async def flush(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)


class Outbox:
    """Use `await Outbox.open(path, ...)`; then `put`, `next_batch`, `mark_sent`, `requeue`, `close`."""

    def __init__(self, path: Path, max_pending: int, replay_retention: int, synchronous: str) -> None:
        self.path = path
        self.max_pending = max_pending
        self.replay_retention = replay_retention
        self._synchronous = synchronous
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        self._db: sqlite3.Connection | None = None
        self.pending = 0
        self.shed_total = 0
        self.last_seqs: dict[str, int] = {}
        self._sent_since_prune = 0
        self.changed = asyncio.Event()  # set whenever there may be new unsent rows
        self._puts = _GroupCommit(self._insert_many, self._call)
        self._acks = _GroupCommit(self._mark_sent_many, self._call)

    @classmethod
    async def open(cls, path: Path, *, max_pending: int, replay_retention: int, synchronous: str = "full") -> Outbox:
        outbox = cls(path, max_pending, replay_retention, synchronous)
        await outbox._call(outbox._open_db)
        if outbox.pending:
            outbox.changed.set()
        return outbox

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    # ------------------------------------------------------------------------------------ thread side

    def _open_db(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self._synchronous.upper()}")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise RuntimeError(f"outbox {self.path}: cannot open ({exc}); move the file aside to start empty") from None
        self._db = db
        self.pending = db.execute("SELECT count(*) FROM outbox WHERE sent = 0").fetchone()[0]
        self.last_seqs = dict(db.execute("SELECT stream, last_seq FROM sequences"))
        row = db.execute("SELECT value FROM counters WHERE name = 'shed_total'").fetchone()
        self.shed_total = row[0] if row else 0

    def _insert_many(self, batches: list[list[OutboxItem]]) -> None:
        db = self._db
        assert db is not None
        items = [item for batch in batches for item in batch]
        last: dict[str, int] = {}
        for item in items:
            last[item.stream] = max(item.seq, last.get(item.stream, -1))
        db.execute(f"PRAGMA synchronous={self._synchronous.upper()}")
        db.execute("BEGIN IMMEDIATE")
        try:
            deleted, kept = self._make_room(db, items)
            db.executemany(
                "INSERT INTO outbox (priority, stream, seq, topic, payload, retain) VALUES (?, ?, ?, ?, ?, ?)",
                [(int(i.priority), i.stream, i.seq, i.topic, i.payload, int(i.retain)) for i in kept],
            )
            # Shed events keep their numbers: consumers then see them as a gap, which is the truth.
            db.executemany(
                "INSERT INTO sequences (stream, last_seq) VALUES (?, ?) "
                "ON CONFLICT (stream) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)",
                list(last.items()),
            )
            shed = deleted + len(items) - len(kept)
            if shed:
                db.execute(
                    "INSERT INTO counters (name, value) VALUES ('shed_total', ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                    (shed,),
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.pending += len(kept) - deleted
        self.shed_total += shed
        SHED_TOTAL.inc(shed)

    def _make_room(self, db: sqlite3.Connection, items: list[OutboxItem]) -> tuple[int, list[OutboxItem]]:
        """Shed the oldest unsent bulk events so that `items` fit. Returns the rows deleted and the items to
        store: incoming bulk items are shed too when the backlog holds too little bulk to make room."""
        excess = self.pending + len(items) - self.max_pending
        if excess <= 0:
            return 0, items
        deleted = db.execute(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent = 0 AND priority = ? ORDER BY id LIMIT ?)",
            (int(Priority.BULK), excess),
        ).rowcount
        still = excess - deleted
        kept: list[OutboxItem] = []
        for item in items:
            if still > 0 and item.priority == Priority.BULK:
                still -= 1
            else:
                kept.append(item)
        return deleted, kept

    def _mark_sent_many(self, id_lists: list[list[int]]) -> None:
        db = self._db
        assert db is not None
        ids = [(i,) for ids in id_lists for i in ids]
        # A lost sent-mark only causes a resend, so this commit need not wait for the disk.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            before = db.total_changes
            db.executemany("UPDATE outbox SET sent = 1 WHERE id = ? AND sent = 0", ids)
            marked = db.total_changes - before
            self._sent_since_prune += marked
            if self._sent_since_prune >= max(1000, self.replay_retention // 10):
                self._sent_since_prune = 0
                db.execute(
                    "DELETE FROM outbox WHERE sent = 1 AND id <= "
                    "(SELECT id FROM outbox WHERE sent = 1 ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    (self.replay_retention,),
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.pending -= marked

    def _select_unsent(self, limit: int, exclude: frozenset[int]) -> list[PendingMessage]:
        assert self._db is not None
        rows = self._db.execute(
            "SELECT id, topic, payload, retain FROM outbox WHERE sent = 0 ORDER BY priority, id LIMIT ?",
            (limit + len(exclude),),
        ).fetchall()
        return [PendingMessage(r[0], r[1], r[2], bool(r[3])) for r in rows if r[0] not in exclude][:limit]

    def _requeue(self, stream: str, ranges: list[tuple[int, int]]) -> int:
        assert self._db is not None
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        before = db.total_changes
        db.executemany(
            "UPDATE outbox SET sent = 0 WHERE stream = ? AND seq BETWEEN ? AND ? AND sent = 1",
            [(stream, first, last) for first, last in ranges],
        )
        db.execute("COMMIT")
        count = db.total_changes - before
        self.pending += count
        return count

    # ------------------------------------------------------------------------------------ loop side

    async def put(self, items: list[OutboxItem]) -> None:
        """Returns once `items` are committed to disk (shedding old bulk telemetry if the outbox is full)."""
        waiter = asyncio.get_running_loop().create_future()
        self._puts.add(list(items), waiter)
        await waiter
        self.changed.set()

    async def next_batch(self, limit: int, exclude: Iterable[int] = ()) -> list[PendingMessage]:
        """Unsent messages, critical before bulk, oldest first, skipping those already in flight."""
        return await self._call(lambda: self._select_unsent(limit, frozenset(exclude)))

    def mark_sent(self, row_ids: list[int]) -> asyncio.Future[None]:
        """Record PUBACKs with the next group commit; the future resolves once committed. Not fsync-critical:
        a mark lost in a crash only makes the event go again, and consumers drop the duplicate."""
        waiter = asyncio.get_running_loop().create_future()
        self._acks.add(row_ids, waiter)
        return waiter

    async def requeue(self, stream: str, ranges: list[tuple[int, int]]) -> int:
        """Make retained sent events of `stream` unsent again; returns how many were found."""
        await self._acks.flush()
        count = await self._call(lambda: self._requeue(stream, ranges))
        if count:
            self.changed.set()
        return count

    async def flush(self) -> None:
        await self._puts.flush()
        await self._acks.flush()

    async def close(self) -> None:
        await self.flush()
        if self._db is not None:
            db, self._db = self._db, None
            await self._call(db.close)
        self._executor.shutdown(wait=True)
