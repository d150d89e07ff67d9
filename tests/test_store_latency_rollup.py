"""The latency roll-up the store keeps at ingest, on SQLite and PostgreSQL: per minute and per hour its counts are
the raw samples binned as the dashboard bins them (so percentiles from it equal the raw ones at bin resolution), a
redelivered event adds nothing, and a store migrated from before the roll-up gets the rows ingest would have
written."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select

from edgesight.core.events import FrameLatency, LatencyBatch, make_envelope
from edgesight.core.store import latency_rollup
from edgesight.core.store.config import StoreConfig
from edgesight.core.store.event_store import MIGRATIONS, EventStore
from edgesight.core.store.latency_bins import MAX_BINNED_MS, latency_bin_id
from edgesight.core.store.latency_rollup import ROLLUP_PERIODS_S
from edgesight.core.store.models import LatencyRollupRow, LatencySampleRow
from edgesight.dashboards.latency_bins import BIN_UNIT_MS, LatencyHistogram, bin_of, bin_width, latency_bin
from edgesight.dashboards.portable_sql import PortableSql
from edgesight.dashboards.synthetic_site import write_events

from fixtures.dashboard import latency_history

T0 = datetime(2026, 5, 1, 10, 58, 30, tzinfo=UTC)  # two hours from here cross three hour boundaries
T1 = T0 + timedelta(hours=2, minutes=3)

Key = tuple[str, int, str, int]  # source, period start (epoch s), stage, bin


def rolled_up(store: EventStore, period_s: int) -> Counter[Key]:
    row = LatencyRollupRow
    with store.engine.connect() as conn:
        rows = conn.execute(select(row.source, row.start_s, row.stage, row.bin, row.samples)
                            .where(row.period_s == period_s)).all()
    return Counter({(source, start_s, stage, bin_id): samples for source, start_s, stage, bin_id, samples in rows})


def binned_raw(store: EventStore, period_s: int) -> Counter[Key]:
    """The stored raw samples binned in SQL, as the dashboard bins them."""
    with store.engine.connect() as conn:
        sql = PortableSql.of(conn)
        start_s = sql.bucket(LatencySampleRow.capture_time, period_s)
        bin_id = latency_bin(LatencySampleRow.ms, sql)
        rows = conn.execute(select(LatencySampleRow.source, start_s, LatencySampleRow.stage, bin_id, func.count())
                            .group_by(LatencySampleRow.source, start_s, LatencySampleRow.stage, bin_id)).all()
    return Counter({(source, start, stage, bin_id): n for source, start, stage, bin_id, n in rows})


def all_rows(store: EventStore) -> list[tuple]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(LatencyRollupRow.__table__).order_by(*LatencyRollupRow.__table__.primary_key))
        return [tuple(row) for row in rows]


def test_rollup_is_the_raw_samples_binned_per_minute_and_hour(store_config: StoreConfig) -> None:
    events = latency_history(T0, T1)
    store = EventStore.open(store_config)
    try:
        write_events(store, events, batch_size=50)  # many transactions, so most rows are added to several times
        for period_s in ROLLUP_PERIODS_S:
            assert rolled_up(store, period_s) == binned_raw(store, period_s), period_s

        hourly = rolled_up(store, 3600)
        from_rollup = LatencyHistogram.from_rows((b, n) for (source, _, stage, b), n in hourly.items()
                                                 if (source, stage) == ("cam-a", "end_to_end"))
        exact = np.array([f.stages_ms["end_to_end"] for e in events if e.source == "cam-a" for f in e.data.frames])
        bins, counts = np.unique(bin_of(exact), return_counts=True)
        assert from_rollup.bins.tolist() == bins.tolist() and from_rollup.counts.tolist() == counts.tolist()
        for p, got in from_rollup.percentiles((50, 90, 95, 99, 99.9)).items():
            nearest_rank = float(np.percentile(exact, p, method="inverted_cdf"))
            assert abs(got - nearest_rank) <= bin_width(bin_of(np.array([nearest_rank])))[0] * BIN_UNIT_MS / 2, p
    finally:
        store.close()


def test_a_redelivered_event_adds_nothing(store_config: StoreConfig) -> None:
    events = latency_history(T0, T0 + timedelta(minutes=20))
    store = EventStore.open(store_config)
    try:
        assert store.write(events[:40]) == 40
        assert store.write(events[20:]) == len(events) - 40, "the overlap is redelivered: stored already"
        assert store.write(events) == 0
        # A frame reported twice in one batch is one raw row, and one sample in the roll-up.
        twice = make_envelope(LatencyBatch(frames=[FrameLatency(frame_seq=9, stages_ms={"infer": 12.0}),
                                                   FrameLatency(frame_seq=9, stages_ms={"infer": 12.0})]),
                              site="site1", node="n1", app="traffic", source="cam-a", seq=10_000, capture_time=T0)
        assert store.write([twice]) == 1
        with store.engine.connect() as conn:
            raw = conn.execute(select(func.count()).select_from(LatencySampleRow)).scalar_one()
        assert raw == sum(len(e.data.frames) * 3 for e in events) + 1
        for period_s in ROLLUP_PERIODS_S:
            assert sum(rolled_up(store, period_s).values()) == raw
            assert rolled_up(store, period_s) == binned_raw(store, period_s)
    finally:
        store.close()


def test_a_migrated_store_gets_the_rows_ingest_writes(store_config: StoreConfig,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store = EventStore.open(store_config)
    try:
        write_events(store, latency_history(T0, T1), batch_size=200)
        written_at_ingest = all_rows(store)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        monkeypatch.setattr(latency_rollup, "BACKFILL_CHUNK", 997)  # many chunks, split inside minutes
        with store.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0001")  # the store as it was before the roll-up: raw samples only
        store.migrate()
        assert all_rows(store) == written_at_ingest
    finally:
        store.close()


@pytest.mark.parametrize("ms", [0.0, 0.001, 0.199, 0.2, 0.4999, 1.0, 9.999, 10.0, 99.95, 101.52, 1000.0, 12345.6,
                                3.6e6, float("inf")])
def test_ingest_bins_a_latency_as_the_dashboard_does(ms: float) -> None:
    assert latency_bin_id(ms) == bin_of(np.array([min(ms, MAX_BINNED_MS)]))[0]


def test_ingest_and_dashboard_bins_agree_everywhere() -> None:
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.lognormal(0.0, 3.0, 50_000), np.round(rng.uniform(0.0, 300.0, 50_000), 2)])
    assert [latency_bin_id(float(v)) for v in values] == bin_of(values).tolist()
