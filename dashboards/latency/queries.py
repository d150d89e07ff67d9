"""Queries of the Latency page: binned latency counts per camera and stage, and per time bucket for one stage
(see latency_bins for how percentiles come out of them). Samples are reached through the (source,
capture_time) index of latency_samples, for the cameras that sent batches in the window."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from edgesight.core.metrics import STAGE_NAMES, STAGE_PAIRS
from edgesight.core.store.models import EventRow, LatencySampleRow

from ..latency_bins import latency_bin
from ..portable_sql import PortableSql
from ..query_tools import frame, matches
from ..time_window import TimeWindow

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


def _in_window(cameras: list[str], window: TimeWindow) -> list[ColumnElement[bool]]:
    return [LatencySampleRow.source.in_(cameras), LatencySampleRow.capture_time >= window.start,
            LatencySampleRow.capture_time < window.end]


def stage_bins(conn: Connection, window: TimeWindow, cameras: list[str]) -> pd.DataFrame:
    """(camera, stage, bin, samples) over the whole window."""
    bin_id = latency_bin(LatencySampleRow.ms, PortableSql.of(conn)).label("bin")
    return frame(conn, select(LatencySampleRow.source, LatencySampleRow.stage, bin_id, func.count())
                 .where(*_in_window(cameras, window))
                 .group_by(LatencySampleRow.source, LatencySampleRow.stage, bin_id),
                 ["camera", "stage", "bin", "samples"])


def stage_series_bins(conn: Connection, window: TimeWindow, cameras: list[str], stage: str) -> pd.DataFrame:
    """(bucket start epoch s, bin, samples) of one stage, the chosen cameras together."""
    sql = PortableSql.of(conn)
    bucket = sql.bucket(LatencySampleRow.capture_time, window.bucket_s).label("bucket")
    bin_id = latency_bin(LatencySampleRow.ms, sql).label("bin")
    return frame(conn, select(bucket, bin_id, func.count())
                 .where(*_in_window(cameras, window), LatencySampleRow.stage == stage)
                 .group_by(bucket, bin_id),
                 ["bucket", "bin", "samples"])
