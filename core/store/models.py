"""Tables of the event store. Every event is a row of `events` (hot fields as real, indexed columns beside
the full JSON payload); some kinds are also projected into tables shaped for the dashboards. Schema changes
go through an alembic revision in migrations/versions, never through `create_all`."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends. SQLite keeps no offset, so values go in as naive UTC and come
    back marked UTC; PostgreSQL stores timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value} given to the event store; pass timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


class EventRow(Base):
    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    v: Mapped[int] = mapped_column(Integer)
    site: Mapped[str] = mapped_column(String(64))
    node: Mapped[str] = mapped_column(String(64))
    app: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))  # camera or controller id
    seq: Mapped[int | None] = mapped_column(BigInteger)
    capture_time: Mapped[datetime] = mapped_column()
    publish_time: Mapped[datetime] = mapped_column()
    ingest_time: Mapped[datetime] = mapped_column()
    payload: Mapped[str] = mapped_column(Text)  # the event as received (JSON)

    __table_args__ = (
        Index("ix_events_kind_capture", "kind", "capture_time"),
        Index("ix_events_source_capture", "source", "capture_time"),
        Index("ix_events_stream_seq", "node", "app", "source", "seq"),
    )


class LatencySampleRow(Base):
    """One pipeline stage of one frame."""

    __tablename__ = "latency_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    site: Mapped[str] = mapped_column(String(64))
    node: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    capture_time: Mapped[datetime] = mapped_column()
    frame_seq: Mapped[int] = mapped_column(BigInteger)
    stage: Mapped[str] = mapped_column(String(64))
    ms: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("event_id", "frame_seq", "stage", name="uq_latency_sample"),
        Index("ix_latency_source_capture", "source", "capture_time"),
    )


class LatencyRollupRow(Base):
    """How many samples of one camera's pipeline stage fell in one latency bin during one period (a minute, five
    minutes, an hour): counted at ingest from the latency_samples rows stored (see latency_rollup)."""

    __tablename__ = "latency_rollup"
    # The key is nearly the whole row: SQLite keeps it once, as the table, instead of a table and an index.
    __table_args__ = {"sqlite_with_rowid": False}

    # Key order is the dashboard's access path: cameras, one period length, a range of period starts.
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    period_s: Mapped[int] = mapped_column(Integer, primary_key=True)  # one of latency_rollup.ROLLUP_PERIODS_S
    start_s: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch seconds: buckets by integer division
    stage: Mapped[str] = mapped_column(String(64), primary_key=True)
    bin: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # lower edge in us (core/store/latency_bins)
    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    samples: Mapped[int] = mapped_column(BigInteger)


class SignalStateRow(Base):
    __tablename__ = "signal_states"

    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))  # controller id
    capture_time: Mapped[datetime] = mapped_column()
    phase: Mapped[str] = mapped_column(String(64))
    plan_id: Mapped[str] = mapped_column(String(64))
    time_in_phase_s: Mapped[float] = mapped_column(Float)
    cycle_s: Mapped[float] = mapped_column(Float)
    groups: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_signal_states_source_capture", "source", "capture_time"),)


class PartRow(Base):
    """One inspected part: when it was first seen, how many defects were reported, and its verdict."""

    __tablename__ = "parts"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    part_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column()
    defects: Mapped[int] = mapped_column(Integer, default=0)
    verdict: Mapped[str | None] = mapped_column(String(16))
    verdict_time: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_parts_first_seen", "first_seen"),)


class VerdictRow(Base):
    __tablename__ = "verdicts"

    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    part_id: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))
    capture_time: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_verdicts_capture", "capture_time"), Index("ix_verdicts_part", "site", "part_id"))
