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
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from prometheus_client import Counter

from ..events import Priority

T = TypeVar("T")

FRESH_LIMIT = 10_000  # rows kept in memory for the pump; beyond, they are read back from disk

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
    """Collects work from many callers and runs it as one transaction per turn of the writer thread.
    Callers of one transaction share one future."""

    def __init__(
        self, run: Callable[[list], None], submit: Callable[[Callable[[], None]], Awaitable[None]], linger_s: float = 0.0
    ) -> None:
        self._run, self._submit, self._linger_s = run, submit, linger_s
        self._queue: list[object] = []
        self._waiter: asyncio.Future[None] | None = None
        self._task: asyncio.Task | None = None

    def add(self, work: object) -> asyncio.Future[None]:
        """Queue `work`; the returned future resolves when its transaction has committed."""
        loop = asyncio.get_running_loop()
        self._queue.append(work)
        if self._waiter is None:
            self._waiter = loop.create_future()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return self._waiter

    async def _drain(self) -> None:
        while self._queue:
            # Wait a turn of the event loop (or the linger time) first: callers that are ready now join
            # this transaction instead of each paying for their own.
            await asyncio.sleep(self._linger_s)
            works, self._queue = self._queue, []
            waiter, self._waiter = self._waiter, None
            assert waiter is not None
            try:
                await self._submit(lambda works=works: self._run(works))
            except Exception as exc:  # noqa: BLE001 - handed to the callers, who re-raise it
                waiter.set_exception(exc)
            else:
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
        # The pump reads on its own connection and thread: in WAL mode a reader never waits for the
        # writer's fsync, so sending does not stall behind a commit.
        self._reader_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-read")
        self._db: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._cursors = {p: 0 for p in Priority}  # highest row id handed out per priority
        # Rows committed by this process, handed to the pump from memory so that steady sending does not
        # read back what it has just written. The database is read only for a backlog: rows from before
        # this process, rows made unsent again (rewind), or more than FRESH_LIMIT waiting.
        self._committed: deque[tuple[Priority, PendingMessage]] = deque()
        self._fresh: dict[Priority, deque[PendingMessage]] = {p: deque() for p in Priority}
        self._backlog = True
        self._rewind = False
        self.pending = 0
        self.shed_total = 0
        self.last_seqs: dict[str, int] = {}
        self._sent_since_prune = 0
        self.changed = asyncio.Event()  # set whenever there may be new unsent rows
        self._puts = _GroupCommit(self._insert_many, self._call)
        # Sent marks are not on any caller's path: gathering them for 20 ms makes far fewer transactions.
        self._acks = _GroupCommit(self._mark_sent_many, self._call, linger_s=0.02)

    @classmethod
    async def open(cls, path: Path, *, max_pending: int, replay_retention: int, synchronous: str = "normal") -> Outbox:
        outbox = cls(path, max_pending, replay_retention, synchronous)
        await outbox._call(outbox._open_db)
        await outbox._read(outbox._open_reader)
        if outbox.pending:
            outbox.changed.set()
        return outbox

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def _read(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._reader_executor, fn)

    def _open_reader(self) -> None:
        self._reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)

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
            last_id = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()[0]
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        # One writer inside one transaction: AUTOINCREMENT gave the rows consecutive ids ending at last_id.
        first_id = last_id - len(kept) + 1
        self._committed.extend(
            (i.priority, PendingMessage(first_id + n, i.topic, i.payload, i.retain)) for n, i in enumerate(kept)
        )
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
        ids = [i for ids in id_lists for i in ids]
        # A lost sent-mark only causes a resend, so this commit need not wait for the disk.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            marked = 0
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marked += db.execute(
                    f"UPDATE outbox SET sent = 1 WHERE sent = 0 AND id IN ({','.join('?' * len(chunk))})", chunk
                ).rowcount
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

    def _select_unsent(self, limit: int) -> tuple[list[PendingMessage], bool]:
        """Read on from each priority's cursor; also says whether the backlog is exhausted."""
        assert self._reader is not None
        rows_out: list[PendingMessage] = []
        exhausted = True
        for priority in Priority:
            want = limit - len(rows_out)
            if want <= 0:
                return rows_out, False
            rows = self._reader.execute(
                "SELECT id, topic, payload, retain FROM outbox WHERE sent = 0 AND priority = ? AND id > ? "
                "ORDER BY id LIMIT ?",
                (int(priority), self._cursors[priority], want),
            ).fetchall()
            if rows:
                self._cursors[priority] = rows[-1][0]
            exhausted = exhausted and len(rows) < want
            rows_out += [PendingMessage(r[0], r[1], r[2], bool(r[3])) for r in rows]
        return rows_out, exhausted

    def _take_fresh(self, limit: int) -> list[PendingMessage]:
        while self._committed:
            priority, message = self._committed.popleft()
            self._fresh[priority].append(message)
        if sum(len(q) for q in self._fresh.values()) > FRESH_LIMIT:
            self.rewind()  # the pump is far behind (no broker): let the database hold the backlog
            return []
        out: list[PendingMessage] = []
        for priority in Priority:
            queue = self._fresh[priority]
            while queue and len(out) < limit:
                message = queue.popleft()
                if message.row_id > self._cursors[priority]:  # else the backlog read handed it out already
                    self._cursors[priority] = message.row_id
                    out.append(message)
        return out

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
        await self._puts.add(list(items))
        self.changed.set()

    def rewind(self) -> None:
        """Hand out every unsent row again on the next `next_batch` (after a reconnect or a failed send)."""
        self._rewind = True

    async def next_batch(self, limit: int, exclude: Iterable[int] = ()) -> list[PendingMessage]:
        """Unsent messages not handed out since the last rewind, critical before bulk, oldest first,
        skipping those in `exclude` (in flight). Empty only when there is nothing more to hand out."""
        excluded = frozenset(exclude)
        while True:
            if self._rewind:
                self._rewind = False
                self._cursors = {p: 0 for p in Priority}
                self._backlog = True
                for queue in self._fresh.values():
                    queue.clear()
            if self._backlog:
                rows, exhausted = await self._read(lambda: self._select_unsent(limit))
                self._backlog = not exhausted
            else:
                rows = self._take_fresh(limit)
                exhausted = not rows
            out = [m for m in rows if m.row_id not in excluded]
            if out or (exhausted and not self._backlog and not self._rewind):
                return out

    def mark_sent(self, row_ids: list[int]) -> asyncio.Future[None]:
        """Record PUBACKs with the next group commit; the future resolves once committed. Not fsync-critical:
        a mark lost in a crash only makes the event go again, and consumers drop the duplicate."""
        return self._acks.add(row_ids)

    async def requeue(self, stream: str, ranges: list[tuple[int, int]]) -> int:
        """Make retained sent events of `stream` unsent again; returns how many were found."""
        await self._acks.flush()
        count = await self._call(lambda: self._requeue(stream, ranges))
        if count:
            self.rewind()
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
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await self._read(reader.close)
        self._executor.shutdown(wait=True)
        self._reader_executor.shutdown(wait=True)
