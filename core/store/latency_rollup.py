"""The latency roll-up: per camera, pipeline stage and period (every minute, every five minutes and every hour), how
many samples fell in each latency bin (latency_bins). The dashboard reads it for the whole periods of a window
instead of binning every raw sample in them, and gets the same histogram, so percentiles agree at bin resolution.

EventStore.write adds to it in the transaction that stores the raw samples, from exactly the latency_samples rows
that transaction inserted: a redelivered event (already stored) adds nothing.

    counts = RollupCounts()
    counts.add(sample)                       # each inserted latency_samples row, as a dict of its columns
    add_to_rollup(conn, insert, counts)      # upsert: samples = samples + counted
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from .latency_bins import latency_bin_id
from .models import LatencyRollupRow, LatencySampleRow

# A minute holds a row for most of its samples when cameras report a frame or so a second (the benchmark site: 6
# minute rows for every 10 samples), so minutes alone save little; they serve a window's edges and time series
# down to one-minute buckets. Five minutes serve the 300 to 1800 s buckets of 4 to 60 h windows, hours the
# histograms of long windows: a day's window reads some 150,000 rows instead of 3.6 million samples.
ROLLUP_PERIODS_S = (60, 300, 3600)
ROLLUP_KEY = ("source", "period_s", "start_s", "stage", "bin", "site")  # the primary key, in its order
BACKFILL_CHUNK = 200_000  # raw samples read at a time when a store is migrated
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

RollupKey = tuple[str, int, int, str, int, str]
InsertFactory = Callable[..., Any]  # sqlalchemy.dialects.{sqlite,postgresql}.insert: both have on_conflict_do_update


def period_start_s(at: datetime, period_s: int) -> int:
    """Epoch seconds at which the period holding `at` starts (integer arithmetic: no float rounding at an edge)."""
    return (at - _EPOCH) // timedelta(seconds=period_s) * period_s


class RollupCounts:
    """Samples counted per roll-up row, to be added to the table in one go."""

    def __init__(self) -> None:
        self._counts: Counter[RollupKey] = Counter()

    def add(self, sample: Mapping[str, Any]) -> None:
        """One raw sample: its site, source, capture_time, stage and ms."""
        bin_id = latency_bin_id(sample["ms"])
        for period_s in ROLLUP_PERIODS_S:
            start_s = period_start_s(sample["capture_time"], period_s)
            self._counts[(sample["source"], period_s, start_s, sample["stage"], bin_id, sample["site"])] += 1

    def rows(self) -> list[dict[str, Any]]:
        """In key order, so that concurrent writers (ingest workers on PostgreSQL) lock the rows they share in the
        same order and cannot deadlock."""
        return [{**dict(zip(ROLLUP_KEY, key, strict=True)), "samples": samples}
                for key, samples in sorted(self._counts.items())]


def add_to_rollup(conn: Connection, insert: InsertFactory, counts: RollupCounts) -> None:
    rows = counts.rows()
    if not rows:
        return
    stmt = insert(LatencyRollupRow)
    # Executed for many rows at once: compiled once and cached (a multi-row VALUES built per call is not).
    conn.execute(stmt.on_conflict_do_update(index_elements=list(ROLLUP_KEY),
                                            set_={"samples": LatencyRollupRow.samples + stmt.excluded.samples}), rows)


def backfill_rollup(conn: Connection, insert: InsertFactory) -> None:
    """Roll up every raw sample already stored (a store migrated to the roll-up), through the code that ingest
    uses, a chunk of samples at a time."""
    query = select(LatencySampleRow.id, LatencySampleRow.site, LatencySampleRow.source,
                   LatencySampleRow.capture_time, LatencySampleRow.stage, LatencySampleRow.ms)
    last_id = -1
    while samples := conn.execute(query.where(LatencySampleRow.id > last_id)
                                  .order_by(LatencySampleRow.id).limit(BACKFILL_CHUNK)).mappings().all():
        counts = RollupCounts()
        for sample in samples:
            counts.add(sample)
        add_to_rollup(conn, insert, counts)
        last_id = samples[-1]["id"]
