"""EventStore: opens (and migrates) the database and writes batches of events idempotently.

    store = EventStore.open(StoreConfig())                 # SQLite file edgesight.sqlite, migrated
    stored = store.write(envelopes)                         # a replayed event is skipped, not stored twice

Writes are synchronous SQLAlchemy; async callers run them on one writer thread (see `ingest`), which is
also what SQLite wants: one writer, big transactions.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..events import Defect, Envelope, EventBody, LatencyBatch, PartVerdict, SignalState, utc_now
from .config import StoreConfig
from .latency_rollup import RollupCounts, add_to_rollup
from .models import EventRow, LatencySampleRow, PartRow, SignalStateRow, VerdictRow

MIGRATIONS = Path(__file__).parent / "migrations"
CHUNK = 1000  # rows per INSERT; stays far below SQLite's and PostgreSQL's bound-parameter limits


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # the dashboard reads while ingest writes
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class EventStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @classmethod
    def open(cls, config: StoreConfig, *, migrate: bool = True) -> EventStore:
        url = config.database_url
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        try:
            with engine.connect():
                pass
        except OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise RuntimeError(f"event store {engine.url.render_as_string(hide_password=True)}: cannot connect ({reason}); "
                               "check store.url and that the database server is running") from None
        store = cls(engine)
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to the newest alembic revision (a no-op when it is already there)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        self.engine.dispose()

    def write(self, events: Sequence[Envelope[EventBody]]) -> int:
        """Store a batch in one transaction; returns how many were new. Events already stored (same id)
        are skipped, and so are their projections, so a replayed stream changes nothing."""
        if not events:
            return 0
        now = utc_now()
        rows = [
            {
                "id": e.id, "kind": e.kind, "v": e.v, "site": e.site, "node": e.node, "app": e.app,
                "source": e.source, "seq": e.seq, "capture_time": e.capture_time, "publish_time": e.publish_time,
                "ingest_time": now, "payload": e.model_dump_json(),
            }
            for e in {e.id: e for e in events}.values()
        ]
        with self.engine.begin() as conn:
            new_ids: set[str] = set()
            for start in range(0, len(rows), CHUNK):
                stmt = (
                    self._insert(EventRow)
                    .values(rows[start:start + CHUNK])
                    .on_conflict_do_nothing(index_elements=["id"])
                    .returning(EventRow.id)
                )
                new_ids.update(conn.execute(stmt).scalars())
            fresh = [e for e in events if e.id in new_ids]
            self._project(conn, fresh)
        return len(new_ids)

    def _project(self, conn: Any, events: list[Envelope[EventBody]]) -> None:
        latency, signals, verdicts = [], [], []
        parts: dict[tuple[str, str], dict[str, Any]] = {}
        for e in events:
            data = e.data
            if isinstance(data, LatencyBatch):
                latency += [
                    {"event_id": e.id, "site": e.site, "node": e.node, "source": e.source, "capture_time": e.capture_time,
                     "frame_seq": f.frame_seq, "stage": stage, "ms": ms}
                    for f in data.frames for stage, ms in f.stages_ms.items()
                ]
            elif isinstance(data, SignalState):
                signals.append({
                    "event_id": e.id, "site": e.site, "source": e.source, "capture_time": e.capture_time,
                    "phase": data.phase, "plan_id": data.plan_id, "time_in_phase_s": data.time_in_phase_s,
                    "cycle_s": data.cycle_s, "groups": {k: v.value for k, v in data.groups.items()}, "reason": data.reason,
                })
            elif isinstance(data, (Defect, PartVerdict)):
                part = parts.setdefault((e.site, data.part_id), {
                    "site": e.site, "part_id": data.part_id, "source": e.source, "first_seen": e.capture_time,
                    "defects": 0, "verdict": None, "verdict_time": None,
                })
                part["first_seen"] = min(part["first_seen"], e.capture_time)
                if isinstance(data, Defect):
                    part["defects"] += 1
                else:
                    verdicts.append({"event_id": e.id, "site": e.site, "source": e.source, "part_id": data.part_id,
                                     "verdict": data.verdict, "capture_time": e.capture_time, "reason": data.reason})
                    if part["verdict_time"] is None or e.capture_time >= part["verdict_time"]:
                        part["verdict"], part["verdict_time"] = data.verdict, e.capture_time
        self._write_latency(conn, latency)
        for model, rows in ((SignalStateRow, signals), (VerdictRow, verdicts)):
            for start in range(0, len(rows), CHUNK):
                conn.execute(self._insert(model).values(rows[start:start + CHUNK]))
        if parts:
            stmt = self._insert(PartRow)
            stmt = stmt.on_conflict_do_update(
                index_elements=["site", "part_id"],
                set_={
                    "defects": PartRow.defects + stmt.excluded.defects,
                    "verdict": func.coalesce(stmt.excluded.verdict, PartRow.verdict),
                    "verdict_time": func.coalesce(stmt.excluded.verdict_time, PartRow.verdict_time),
                },
            )
            conn.execute(stmt, list(parts.values()))

    def _write_latency(self, conn: Any, samples: list[dict[str, Any]]) -> None:
        """Raw samples, and the roll-up of exactly those rows the database inserted: a frame that a batch reports
        twice is stored and counted once."""
        unique: dict[tuple[str, int, str], dict[str, Any]] = {}
        for sample in samples:
            unique.setdefault((sample["event_id"], sample["frame_seq"], sample["stage"]), sample)
        if not unique:
            return
        # One statement for many rows (SQLAlchemy pages it into multi-row VALUES with RETURNING): compiled once and
        # cached, where a statement built per chunk costs more to compile than to run.
        stmt = (
            self._insert(LatencySampleRow)
            .on_conflict_do_nothing(index_elements=["event_id", "frame_seq", "stage"])
            .returning(LatencySampleRow.event_id, LatencySampleRow.frame_seq, LatencySampleRow.stage)
        )
        counts = RollupCounts()
        for inserted in conn.execute(stmt, list(unique.values())):
            counts.add(unique[tuple(inserted)])
        add_to_rollup(conn, self._insert, counts)

    # ------------------------------------------------------------------------------------ reading

    def count(self, kind: str | None = None) -> int:
        query = select(func.count()).select_from(EventRow)
        if kind is not None:
            query = query.where(EventRow.kind == kind)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def recent(
        self,
        *,
        kind: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[EventRow]:
        """Newest first, by capture time; uses the (kind|source, capture_time) indexes."""
        query = select(EventRow).order_by(EventRow.capture_time.desc()).limit(limit)
        if kind is not None:
            query = query.where(EventRow.kind == kind)
        if source is not None:
            query = query.where(EventRow.source == source)
        if since is not None:
            query = query.where(EventRow.capture_time >= since)
        with Session(self.engine) as session:
            return list(session.scalars(query))

    def missing_seqs(self, node: str, app: str, source: str) -> list[int]:
        """Seqs of one stream below its highest stored one that are not stored: what every ingest worker
        together missed (the per-worker view is `EventConsumer.missing`)."""
        query = select(EventRow.seq).where(
            EventRow.node == node, EventRow.app == app, EventRow.source == source, EventRow.seq.is_not(None)
        )
        with self.engine.connect() as conn:
            seqs = set(conn.execute(query).scalars())
        return [s for s in range(max(seqs) + 1) if s not in seqs] if seqs else []
