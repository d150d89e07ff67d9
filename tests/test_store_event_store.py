"""The same store tests on SQLite and on the machine's PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from edgesight.core.events import (
    Box, Crossing, Defect, FrameLatency, LatencyBatch, PartVerdict, SignalColour, SignalState, make_envelope,
)
from edgesight.core.store.config import StoreConfig
from edgesight.core.store.event_store import EventStore
from edgesight.core.store.models import Base, LatencySampleRow, PartRow, SignalStateRow, VerdictRow
from sqlalchemy import select

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def envelope(body, seq: int, *, app: str = "inspection", source: str = "cam1", at: datetime = T0):
    return make_envelope(body, site="site1", node="n1", app=app, source=source, seq=seq,
                         capture_time=at + timedelta(seconds=seq))


def sample_stream() -> list:
    box = Box(x1=10, y1=10, x2=40, y2=30)
    return [
        envelope(Defect(part_id="p1", defect_class="scratch", confidence=0.9, box=box, belt_position_mm=100,
                        crop_jpeg=b"\xff\xd8\xff\xe0" + b"\x00" * 100), 0),
        envelope(Defect(part_id="p1", defect_class="dent", confidence=0.7, box=box, belt_position_mm=100), 1),
        envelope(PartVerdict(part_id="p1", verdict="reject", belt_position_mm=120, reason="2 defects"), 2),
        envelope(PartVerdict(part_id="p2", verdict="pass", belt_position_mm=300), 3),
        envelope(LatencyBatch(frames=[FrameLatency(frame_seq=7, stages_ms={"decoded": 2.5, "infer_end": 11.0})]), 4),
        envelope(SignalState(groups={"A": SignalColour.green, "B": SignalColour.red}, phase="1", time_in_phase_s=4,
                             cycle_s=90, plan_id="am", reason="plan"), 0, app="traffic", source="tsc1"),
        envelope(Crossing(track_id=3, line="l1", lane="1", vehicle_class="car", direction="in", speed_kmh=42), 0,
                 app="traffic", source="cam2"),
    ]


def test_write_is_idempotent_and_projects_kinds(store_config: StoreConfig) -> None:
    store = EventStore.open(store_config)
    try:
        events = sample_stream()
        assert store.write(events) == len(events)
        assert store.write(events) == 0, "a replayed batch must not be stored again"
        assert store.write(events[2:] + events[:2]) == 0
        assert store.count() == len(events)
        assert store.count("defect") == 2
        with store.engine.connect() as conn:
            part = conn.execute(select(PartRow).where(PartRow.part_id == "p1")).one()
            assert (part.defects, part.verdict) == (2, "reject")
            assert conn.execute(select(VerdictRow.verdict).order_by(VerdictRow.part_id)).scalars().all() == ["reject", "pass"]
            assert sorted(conn.execute(select(LatencySampleRow.stage)).scalars()) == ["decoded", "infer_end"]
            assert conn.execute(select(SignalStateRow.groups)).scalar_one() == {"A": "green", "B": "red"}
        newest = store.recent(kind="defect", limit=1)[0]
        assert newest.capture_time == T0 + timedelta(seconds=1)
        assert newest.capture_time.tzinfo is not None
        assert [r.kind for r in store.recent(source="cam2")] == ["crossing"]
    finally:
        store.close()


def test_gaps_in_stored_streams(store_config: StoreConfig) -> None:
    store = EventStore.open(store_config)
    try:
        stream = [envelope(Crossing(track_id=i, line="l1", lane="1", vehicle_class="car", direction="in"), i,
                           app="traffic", source="cam2") for i in range(10)]
        store.write([e for e in stream if e.seq not in (3, 7, 8)])
        assert store.missing_seqs("n1", "traffic", "cam2") == [3, 7, 8]
    finally:
        store.close()


def test_migrations_match_models_and_rerun_cleanly(store_config: StoreConfig) -> None:
    store = EventStore.open(store_config)
    try:
        store.migrate()  # second run: already at head
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ; add an alembic revision: {diff}"
    finally:
        store.close()


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match=r"event store .*cannot connect .*check store.url"):
        EventStore.open(StoreConfig(url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere"))
