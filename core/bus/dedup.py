"""DedupWindow: the event ids a consumer has already handled, on disk so the window survives a restart.

QoS 1 is at-least-once and the outbox resends whatever was not confirmed, so duplicates are normal; the
window holds the last `size` ids, far more than any redelivery reaches back. It also keeps each stream's
gap-tracking floor, so a restarted consumer knows what it already had.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, stream TEXT, seq INTEGER);
CREATE TABLE IF NOT EXISTS streams (stream TEXT PRIMARY KEY, floor INTEGER NOT NULL, high INTEGER NOT NULL);
"""


class DedupWindow:
    """`await DedupWindow.open(path, size)`; `unseen(ids)` filters, `remember(...)` commits handled events."""

    def __init__(self, path: Path, size: int) -> None:
        if size < 1:
            raise ValueError(f"dedup window {path}: size must be at least 1, got {size}")
        self.path, self.size = path, size
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dedup")
        self._db: sqlite3.Connection | None = None

    @classmethod
    async def open(cls, path: Path, size: int = 1_000_000) -> DedupWindow:
        window = cls(path, size)
        await window._call(window._open_db)
        return window

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def _open_db(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise RuntimeError(f"dedup window {self.path}: cannot open ({exc}); move the file aside to start empty") from None
        self._db = db

    async def unseen(self, ids: list[str]) -> set[str]:
        """The subset of `ids` not handled before."""
        def query() -> set[str]:
            assert self._db is not None
            marks = ",".join("?" * len(ids))
            seen = {r[0] for r in self._db.execute(f"SELECT id FROM seen WHERE id IN ({marks})", ids)}
            return set(ids) - seen
        return await self._call(query) if ids else set()

    async def remember(self, events: Iterable[tuple[str, str | None, int | None]], floors: dict[str, tuple[int, int]]) -> None:
        """Commit handled events `(id, stream, seq)` and the current gap floors `{stream: (floor, high)}`."""
        rows = list(events)

        def write() -> None:
            db = self._db
            assert db is not None
            db.execute("BEGIN")
            try:
                db.executemany("INSERT OR IGNORE INTO seen (id, stream, seq) VALUES (?, ?, ?)", rows)
                db.executemany(
                    "INSERT INTO streams (stream, floor, high) VALUES (?, ?, ?) "
                    "ON CONFLICT (stream) DO UPDATE SET floor = excluded.floor, high = excluded.high",
                    [(s, f, h) for s, (f, h) in floors.items()],
                )
                db.execute("DELETE FROM seen WHERE n <= (SELECT max(n) FROM seen) - ?", (self.size,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        await self._call(write)

    async def restore(self) -> tuple[dict[str, tuple[int, int]], list[tuple[str, int]]]:
        """Saved floors and the (stream, seq) of remembered events, to rebuild a `GapTracker`."""
        def read() -> tuple[dict[str, tuple[int, int]], list[tuple[str, int]]]:
            assert self._db is not None
            floors = {s: (f, h) for s, f, h in self._db.execute("SELECT stream, floor, high FROM streams")}
            seqs = list(self._db.execute("SELECT stream, seq FROM seen WHERE seq IS NOT NULL"))
            return floors, seqs
        return await self._call(read)

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await self._call(db.close)
        self._executor.shutdown(wait=True)
