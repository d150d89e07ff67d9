"""Queries of the Events page: the newest events matching the filters, and the streams the filters offer."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, select, union_all

from edgesight.core.store.models import EventRow

from ..query_tools import frame, matches
from ..time_window import TimeWindow

EVENT_COLUMNS = ["time", "site", "node", "app", "source", "kind", "seq", "payload"]
STREAM_COLUMNS = ["site", "node", "app", "source"]


@dataclass(frozen=True)
class EventFilter:
    kinds: Sequence[str]
    site: str | None = None
    app: str | None = None
    source: str | None = None


def newest_events(conn: Connection, window: TimeWindow, wanted: EventFilter, limit: int) -> pd.DataFrame:
    """The `limit` newest events of the window that match, newest first. One newest-first scan of the (kind,
    capture_time) index per kind, each stopping after `limit` rows, so the cost follows `limit`, not the window."""
    if not wanted.kinds:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    per_kind = [
        select(EventRow.capture_time, EventRow.site, EventRow.node, EventRow.app, EventRow.source, EventRow.kind,
               EventRow.seq, EventRow.payload)
        .where(EventRow.kind == kind, EventRow.capture_time >= window.start, EventRow.capture_time < window.end,
               *matches(EventRow.site, wanted.site), *matches(EventRow.app, wanted.app),
               *matches(EventRow.source, wanted.source))
        .order_by(EventRow.capture_time.desc()).limit(limit).subquery()
        for kind in wanted.kinds
    ]
    # Each member is wrapped as a subquery: SQLite allows ORDER BY and LIMIT only on a whole compound SELECT.
    merged = union_all(*(select(*member.c) for member in per_kind)).subquery()
    return frame(conn, select(*merged.c).order_by(merged.c.capture_time.desc()).limit(limit), EVENT_COLUMNS)


def known_streams(reports: pd.DataFrame) -> pd.DataFrame:
    """(site, node, app, source) of every stream the nodes named in their newest heartbeat (a heartbeat lists the
    last seq of each of its node's streams)."""
    streams = [(report.site, report.node, *stream.split("/", 1)) for report in reports.itertuples()
               for stream in report.streams]
    return pd.DataFrame(streams, columns=STREAM_COLUMNS).sort_values(STREAM_COLUMNS, ignore_index=True)


def payload_summary(payload: str, max_chars: int = 240) -> str:
    """The event's data as compact JSON, crops left out (they are shown on the Inspection page)."""
    data = json.loads(payload)["data"]
    if data.get("crop_jpeg"):
        data["crop_jpeg"] = f"<{len(data['crop_jpeg']) * 3 // 4} byte JPEG>"
    text = json.dumps(data, separators=(",", ":"))
    return text if len(text) <= max_chars else text[:max_chars - 1] + "…"
