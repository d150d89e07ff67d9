"""Queries of the Latency page: binned latency counts per camera and stage, and per time bucket for one stage
(see latency_bins for how percentiles come out of them).

The whole hours, five minutes and minutes of the window are read from the latency roll-up (counts per bin the
store keeps at ingest), what is left at its ends (under a minute each) from raw samples binned in SQL, through the
(source, capture_time) index of latency_samples; the counts add up to what binning every raw sample would give. A
time series reads the periods that fit whole in its buckets (one minute and wider: windows over two hours)."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import BigInteger, Connection, Select, cast, func, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from edgesight.core.metrics import STAGE_NAMES, STAGE_PAIRS
from edgesight.core.store.latency_rollup import ROLLUP_PERIODS_S
from edgesight.core.store.models import EventRow, LatencyRollupRow, LatencySampleRow

from ..latency_bins import latency_bin
from ..portable_sql import PortableSql
from ..query_tools import frame, matches
from ..time_window import TimeWindow
from .window_cover import Span, cover

END_TO_END = "end_to_end"
# Stages as LatencyRecorder names them, in pipeline order, then end to end.
STAGE_ORDER = (*(STAGE_NAMES[b] for _, b in STAGE_PAIRS), END_TO_END)


def stage_sort_key(stage: str) -> tuple[int, str]:
    return (STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER), stage)


def latency_cameras(conn: Connection, window: TimeWindow, site: str | None) -> list[str]:
    """Cameras that sent latency batches in the window."""
    return sorted(conn.execute(
        select(EventRow.source).distinct()
        .where(EventRow.kind == "latency", EventRow.capture_time >= window.start, EventRow.capture_time < window.end,
               *matches(EventRow.site, site))
    ).scalars())


def _raw_in(span: Span, cameras: list[str]) -> list[ColumnElement[bool]]:
    return [LatencySampleRow.source.in_(cameras), LatencySampleRow.capture_time >= span.start,
            LatencySampleRow.capture_time < span.end]


def _rolled_up_in(span: Span, cameras: list[str]) -> list[ColumnElement[bool]]:
    return [LatencyRollupRow.source.in_(cameras), LatencyRollupRow.period_s == span.period_s,
            LatencyRollupRow.start_s >= span.start_s, LatencyRollupRow.start_s < span.end_s]


def _total(samples: ColumnElement[int]) -> ColumnElement[int]:
    # PostgreSQL sums bigints as numeric; counts stay integers.
    return cast(func.sum(samples), BigInteger).label("samples")


def _over(spans: list[Span], raw: Callable[[Span], Select], rolled_up: Callable[[Span], Select],
          keys: list[str]) -> Select:
    """One statement over every span, each read from raw samples or from the roll-up as the span says, the spans'
    counts added up per key and bin."""
    per_span = union_all(*(raw(span) if span.period_s is None else rolled_up(span) for span in spans)).subquery()
    grouped = [per_span.c[key] for key in (*keys, "bin")]
    return select(*grouped, _total(per_span.c.samples)).group_by(*grouped)


def stage_bins(conn: Connection, window: TimeWindow, cameras: list[str]) -> pd.DataFrame:
    """(camera, stage, bin, samples) over the whole window."""
    sql = PortableSql.of(conn)

    def raw(span: Span) -> Select:
        bin_id = latency_bin(LatencySampleRow.ms, sql).label("bin")
        return (select(LatencySampleRow.source.label("camera"), LatencySampleRow.stage, bin_id,
                       func.count().label("samples"))
                .where(*_raw_in(span, cameras)).group_by(LatencySampleRow.source, LatencySampleRow.stage, bin_id))

    def rolled_up(span: Span) -> Select:
        return (select(LatencyRollupRow.source.label("camera"), LatencyRollupRow.stage, LatencyRollupRow.bin,
                       _total(LatencyRollupRow.samples))
                .where(*_rolled_up_in(span, cameras))
                .group_by(LatencyRollupRow.source, LatencyRollupRow.stage, LatencyRollupRow.bin))

    spans = cover(window.start, window.end, ROLLUP_PERIODS_S)
    return frame(conn, _over(spans, raw, rolled_up, ["camera", "stage"]), ["camera", "stage", "bin", "samples"])


def stage_series_bins(conn: Connection, window: TimeWindow, cameras: list[str], stage: str) -> pd.DataFrame:
    """(bucket start epoch s, bin, samples) of one stage, the chosen cameras together."""
    sql = PortableSql.of(conn)

    def raw(span: Span) -> Select:
        bucket = sql.bucket(LatencySampleRow.capture_time, window.bucket_s).label("bucket")
        bin_id = latency_bin(LatencySampleRow.ms, sql).label("bin")
        return (select(bucket, bin_id, func.count().label("samples"))
                .where(*_raw_in(span, cameras), LatencySampleRow.stage == stage).group_by(bucket, bin_id))

    def rolled_up(span: Span) -> Select:
        bucket = (LatencyRollupRow.start_s // window.bucket_s * window.bucket_s).label("bucket")
        return (select(bucket, LatencyRollupRow.bin, _total(LatencyRollupRow.samples))
                .where(*_rolled_up_in(span, cameras), LatencyRollupRow.stage == stage)
                .group_by(bucket, LatencyRollupRow.bin))

    # A period serves a bucket only if it lies wholly inside one: buckets and periods both start at the epoch.
    periods_s = [p for p in ROLLUP_PERIODS_S if window.bucket_s % p == 0]
    spans = cover(window.start, window.end, periods_s)
    return frame(conn, _over(spans, raw, rolled_up, ["bucket"]), ["bucket", "bin", "samples"])
