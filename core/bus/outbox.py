"""Durable outbox: the on-disk queue between `EventPublisher.publish()` and the broker.

An event is committed here before it is offered to MQTT and is marked sent only on PUBACK, so a broker
outage, a network cut or a kill -9 of the publisher loses nothing: whatever is unsent on restart goes out.
Sent events stay a while (those among the last `replay_retention` queued) so a consumer that lost some
downstream can ask for them again.

SQLite in WAL mode on one dedicated thread (the event loop never waits on the disk). Writes are group
commits: inserts and sent marks that arrive while a transaction runs share the next one.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, TypeVar

from prometheus_client import Counter

from ..events import Priority

T = TypeVar("T")

log = logging.getLogger(__name__)

FRESH_LIMIT = 10_000  # rows kept in memory for the pump; beyond, they are read back from disk
MARK_LINGER_S = 0.02  # how long sent marks alone wait for inserts to share their transaction
_NO_ROW_ID = 2**63 - 1  # above every row id SQLite gives

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

# The writer thread gives up the GIL for every SQLite step and must win it back from a busy event loop each
# time, so a transaction uses a few multi-row statements rather than one statement per row. Chunks stay
# under 999 bound values, the oldest SQLite's limit.
_INSERT_CHUNK = 100  # rows of 6 values
_MARK_CHUNK = 500


# Sent rows more than `replay_retention` rows older than the newest are dropped. Naming every priority lets
# SQLite walk outbox_unsent straight to them instead of over every retained sent row.
_PRUNE_SENT = f"DELETE FROM outbox WHERE sent = 1 AND priority IN ({','.join(str(int(p)) for p in Priority)}) AND id <= ?"


@functools.cache
def _insert_sql(rows: int) -> str:
    return "INSERT INTO outbox (priority, stream, seq, topic, payload, retain) VALUES " + ",".join(["(?,?,?,?,?,?)"] * rows)


@functools.cache
def _mark_sent_sql(rows: int) -> str:
    # `+sent` keeps SQLite on the primary key: offered the outbox_unsent index for `sent = 0`, it would
    # walk the whole backlog for every mark.
    return f"UPDATE outbox SET sent = 1 WHERE id IN ({','.join(['?'] * rows)}) AND +sent = 0"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    priority: Priority
    stream: str
    seq: int
    topic: str
    payload: bytes
    retain: bool = False


class PendingMessage(NamedTuple):
    row_id: int
    topic: str
    payload: bytes
    retain: bool


# Rows committed by this process wait for the pump as plain tuples (row_id, topic, payload, retain), made
# into a PendingMessage only when handed out: the garbage collector stops tracking a plain tuple of plain
# values, so a backlog of thousands neither slows every collection nor sets off full ones.
_Row = tuple[int, str, bytes, bool]


class _Insertion(NamedTuple):
    stored: list[tuple[int, _Row]]  # (priority, row) of each item stored
    deleted: int  # unsent bulk rows shed to make room
    shed_through: int  # the highest id among them; 0 if none
    newest_id: int  # the highest row id given so far


class _GroupCommit:
    """Queues inserts and sent marks and commits them together, one transaction per turn of the writer
    thread. Inserts have callers waiting: a turn starts once the event loop has let the callers that are
    ready join it, and they share one future. Sent marks have no one waiting: alone they wait up to
    `mark_linger_s` for inserts to ride along with."""

    def __init__(
        self,
        commit: Callable[[list[OutboxItem], list[int]], None],
        submit: Callable[[Callable[[], None]], Awaitable[None]],
        mark_linger_s: float,
        inserted: asyncio.Event,
    ) -> None:
        self._commit, self._submit, self._mark_linger_s = commit, submit, mark_linger_s
        self._inserted = inserted  # set after each transaction that inserted rows
        self._items: list[OutboxItem] = []
        self._marks: list[int] = []
        self.marking: set[int] = set()  # rows whose sent mark is queued or being committed
        self._committed: asyncio.Future[None] | None = None  # resolves when the queued items are on disk
        self._hurry = asyncio.Event()  # someone waits for the next turn: no lingering
        self._task: asyncio.Task | None = None

    def insert(self, items: list[OutboxItem]) -> asyncio.Future[None]:
        """Queue `items`; the returned future resolves when their transaction has committed."""
        self._items += items
        if self._committed is None:
            self._committed = asyncio.get_running_loop().create_future()
        self._hurry.set()
        self._start()
        return self._committed

    def mark_sent(self, row_ids: list[int]) -> None:
        self._marks += row_ids
        self.marking.update(row_ids)
        self._start()

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._turns())

    async def _turns(self) -> None:
        while self._items or self._marks:
            if not self._hurry.is_set():
                # wait_for, not asyncio.timeout: on Python 3.11 a timeout that expires just as the wait ends leaves
                # a cancellation pending on this task, which then died at its next await with the queued items
                # and their callers' future stranded (a publisher hung in put() until something else wrote).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), self._mark_linger_s)
            # A turn of the event loop first: callers that are ready now join this transaction instead of
            # each paying for their own.
            await asyncio.sleep(0)
            self._hurry.clear()
            items, self._items = self._items, []
            marks, self._marks = self._marks, []
            committed, self._committed = self._committed, None
            try:
                await self._submit(functools.partial(self._commit, items, marks))
            except Exception as exc:  # noqa: BLE001 - handed to the callers, who re-raise it
                if committed is not None:
                    committed.set_exception(exc)
                if marks:
                    log.warning("outbox: %d sent mark(s) not recorded (%s); those events will go again", len(marks), exc)
            else:
                if committed is not None:
                    self._inserted.set()
                    committed.set_result(None)
            finally:
                self.marking.difference_update(marks)

    async def flush(self) -> None:
        """Returns once everything queued so far is committed; sent marks do not linger meanwhile."""
        self._hurry.set()
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)


class Outbox:
    """Use `await Outbox.open(path, ...)`; then `put`, `next_batch`, `mark_sent`, `requeue`, `close`."""

    def __init__(self, path: Path, max_pending: int, replay_retention: int, synchronous: str) -> None:
        self.path = path
        self.max_pending = max_pending
        self.replay_retention = replay_retention
        self._synchronous = synchronous.upper()
        self._db_synchronous = ""  # the level the writing connection is set to now
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
        self._committed: deque[tuple[int, _Row]] = deque()  # (priority, row), appended by the writer thread
        self._fresh: dict[int, deque[_Row]] = {p: deque() for p in Priority}
        self._memory_from: int | None = None  # memory holds every row from this id on; None: none yet
        self._backlog = {p: True for p in Priority}  # unread rows of this priority may wait below _memory_from
        self._rewind = False
        # Shedding deletes every unsent bulk row up to here, some perhaps still waiting in memory. Written by
        # the writer thread after its commit, read by the loop.
        self._shed_through = 0
        self.pending = 0
        self.shed_total = 0
        self.last_seqs: dict[str, int] = {}
        self._newest_id = 0  # the highest row id given so far (writer thread)
        self.changed = asyncio.Event()  # set whenever there may be new unsent rows
        self._writes = _GroupCommit(self._commit, self._call, MARK_LINGER_S, inserted=self.changed)

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
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise RuntimeError(f"outbox {self.path}: cannot open ({exc}); move the file aside to start empty") from None
        self._db = db
        self.pending = db.execute("SELECT count(*) FROM outbox WHERE sent = 0").fetchone()[0]
        self.last_seqs = dict(db.execute("SELECT stream, last_seq FROM sequences"))
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
        self._newest_id = row[0] if row else 0
        row = db.execute("SELECT value FROM counters WHERE name = 'shed_total'").fetchone()
        self.shed_total = row[0] if row else 0

    def _set_synchronous(self, db: sqlite3.Connection, level: str) -> None:
        if level != self._db_synchronous:
            db.execute(f"PRAGMA synchronous={level}")
            self._db_synchronous = level

    def _commit(self, items: list[OutboxItem], marks: list[int]) -> None:
        """One transaction: the sent marks, the inserts (shedding old bulk events if full), and dropping the
        sent events that fell out of the replay retention."""
        db = self._db
        assert db is not None
        # A lost sent mark only makes its event go again: a transaction of marks alone need not wait for
        # the disk, whatever `synchronous` the inserts want.
        self._set_synchronous(db, self._synchronous if items else "NORMAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            marked = self._mark_sent(db, marks) if marks else 0
            pending = self.pending - marked
            inserted = self._insert(db, items, pending) if items else _Insertion([], 0, 0, self._newest_id)
            if inserted.newest_id > self.replay_retention:
                # A little every transaction, along the index: no pause to sort the whole retained history.
                db.execute(_PRUNE_SENT, (inserted.newest_id - self.replay_retention,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._newest_id = inserted.newest_id
        self._shed_through = max(self._shed_through, inserted.shed_through)
        self._committed.extend(inserted.stored)
        self.pending = pending + len(inserted.stored) - inserted.deleted
        shed = inserted.deleted + len(items) - len(inserted.stored)
        self.shed_total += shed
        SHED_TOTAL.inc(shed)

    def _mark_sent(self, db: sqlite3.Connection, row_ids: list[int]) -> int:
        marked = 0
        for start in range(0, len(row_ids), _MARK_CHUNK):
            chunk = row_ids[start:start + _MARK_CHUNK]
            marked += db.execute(_mark_sent_sql(len(chunk)), chunk).rowcount
        return marked

    def _insert(self, db: sqlite3.Connection, items: list[OutboxItem], pending: int) -> _Insertion:
        deleted, shed_through, kept = self._make_room(db, items, pending)
        stored: list[tuple[int, _Row]] = []
        newest_id = self._newest_id
        for start in range(0, len(kept), _INSERT_CHUNK):
            chunk = kept[start:start + _INSERT_CHUNK]
            values = [v for i in chunk for v in (int(i.priority), i.stream, i.seq, i.topic, i.payload, int(i.retain))]
            last_id = db.execute(_insert_sql(len(chunk)), values).lastrowid
            assert last_id is not None
            # One writer inside one transaction: AUTOINCREMENT gave the chunk consecutive ids ending at last_id.
            first_id = last_id - len(chunk) + 1
            stored += [(int(i.priority), (first_id + n, i.topic, i.payload, i.retain)) for n, i in enumerate(chunk)]
            newest_id = last_id
        last: dict[str, int] = {}
        for item in items:
            last[item.stream] = max(item.seq, last.get(item.stream, -1))
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
        return _Insertion(stored, deleted, shed_through, newest_id)

    def _make_room(self, db: sqlite3.Connection, items: list[OutboxItem], pending: int) -> tuple[int, int, list[OutboxItem]]:
        """Shed the oldest unsent bulk events so that `items` fit. Returns the rows deleted, the highest id
        among them (0 if none) and the items to store: incoming bulk items are shed too when the backlog
        holds too little bulk to make room."""
        excess = pending + len(items) - self.max_pending
        if excess <= 0:
            return 0, 0, items
        shed_through = db.execute(
            "SELECT max(id) FROM (SELECT id FROM outbox WHERE sent = 0 AND priority = ? ORDER BY id LIMIT ?)",
            (int(Priority.BULK), excess),
        ).fetchone()[0] or 0
        deleted = db.execute(
            "DELETE FROM outbox WHERE sent = 0 AND priority = ? AND id <= ?", (int(Priority.BULK), shed_through)
        ).rowcount
        still = excess - deleted
        kept: list[OutboxItem] = []
        for item in items:
            if still > 0 and item.priority == Priority.BULK:
                still -= 1
            else:
                kept.append(item)
        return deleted, shed_through, kept

    def _select_unsent(self, priority: Priority, after: int, below: int, limit: int) -> list[PendingMessage]:
        assert self._reader is not None
        rows = self._reader.execute(
            "SELECT id, topic, payload, retain FROM outbox WHERE sent = 0 AND priority = ? AND id > ? AND id < ? "
            "ORDER BY id LIMIT ?",
            (int(priority), after, below, limit),
        ).fetchall()
        return [PendingMessage(r[0], r[1], r[2], bool(r[3])) for r in rows]

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

    def put(self, items: list[OutboxItem]) -> asyncio.Future[None]:
        """Resolves once `items` are committed to disk (shedding old bulk telemetry if the outbox is full)."""
        return self._writes.insert(items)

    def rewind(self) -> None:
        """Hand out every unsent row again on the next `next_batch` (after a reconnect or a failed send)."""
        self._rewind = True

    async def next_batch(self, limit: int, exclude: Iterable[int] = ()) -> list[PendingMessage]:
        """Unsent messages not handed out since the last rewind, critical before bulk, oldest first,
        skipping those in `exclude` (in flight) and those whose sent mark is not committed yet. Empty only
        when there is nothing more to hand out."""
        while True:
            if self._rewind:
                self._rewind = False
                self._cursors = {p: 0 for p in Priority}
                self._backlog = {p: True for p in Priority}
                self._memory_from = None
                for queue in self._fresh.values():
                    queue.clear()
            self._collect_committed()
            if self._rewind:
                continue
            out: list[PendingMessage] = []
            for priority in Priority:
                if len(out) < limit and self._backlog[priority]:
                    out += await self._read_backlog(priority, limit - len(out), exclude)
                if len(out) < limit and not self._backlog[priority]:
                    out += self._take_fresh(priority, limit - len(out))
            if out or not any(self._backlog.values()):
                return out

    def _collect_committed(self) -> None:
        """Move what the writer thread committed into the per-priority queues in memory."""
        while self._committed:
            priority, row = self._committed.popleft()
            if self._memory_from is None:
                self._memory_from = row[0]  # appended in id order: memory holds every row from here on
            self._fresh[priority].append(row)
        if sum(len(q) for q in self._fresh.values()) > FRESH_LIMIT:
            self.rewind()  # the pump is far behind (no broker): let the database hold the backlog

    async def _read_backlog(self, priority: Priority, limit: int, exclude: Iterable[int]) -> list[PendingMessage]:
        """Rows of `priority` on disk below those in memory. Only such a read can meet a row handed out
        before; what to skip is taken before it, as a row whose mark commits meanwhile may read as unsent."""
        skip = set(exclude) | self._writes.marking
        below = self._memory_from if self._memory_from is not None else _NO_ROW_ID
        rows = await self._read(functools.partial(self._select_unsent, priority, self._cursors[priority], below, limit))
        if rows:
            self._cursors[priority] = rows[-1].row_id
        if len(rows) < limit:
            self._backlog[priority] = False  # from here on, this priority is served from memory
        return [m for m in rows if m.row_id not in skip]

    def _take_fresh(self, priority: Priority, limit: int) -> list[PendingMessage]:
        queue = self._fresh[priority]
        out: list[PendingMessage] = []
        while queue and len(out) < limit:
            row = queue.popleft()
            if priority == Priority.BULK and row[0] <= self._shed_through:
                continue
            if row[0] > self._cursors[priority]:  # else a read of the disk handed it out already
                self._cursors[priority] = row[0]
                out.append(PendingMessage._make(row))
        return out

    def mark_sent(self, row_ids: list[int]) -> None:
        """Record PUBACKs with the next group commit (`flush` waits for it). Until then `next_batch` does
        not hand these rows out again. Not fsync-critical: a mark lost in a crash only makes the event go
        again, and consumers drop the duplicate."""
        self._writes.mark_sent(row_ids)

    async def requeue(self, stream: str, ranges: list[tuple[int, int]]) -> int:
        """Make retained sent events of `stream` unsent again; returns how many were found."""
        await self._writes.flush()
        count = await self._call(lambda: self._requeue(stream, ranges))
        if count:
            self.rewind()
            self.changed.set()
        return count

    async def flush(self) -> None:
        await self._writes.flush()

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
