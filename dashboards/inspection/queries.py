"""Queries of the Inspection page: parts and verdicts from the parts and verdicts projections, defects and reject
deadline misses from the events' JSON; all bounded by the window."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import pandas as pd
from sqlalchemy import Connection, func, select

from edgesight.core.events import Defect, EventBody, PartVerdict, decode_event
from edgesight.core.store.models import EventRow, PartRow, VerdictRow

from ..portable_sql import PortableSql
from ..query_tools import frame, matches
from ..time_window import TimeWindow

RECENT_REJECTS = 8
B = TypeVar("B", bound=EventBody)


def part_counts(conn: Connection, window: TimeWindow, site: str | None) -> pd.DataFrame:
    """Parts first seen per bucket, by final verdict ('pass', 'reject', or None while undecided)."""
    bucket = PortableSql.of(conn).bucket(PartRow.first_seen, window.bucket_s).label("bucket")
    counts = frame(conn, select(bucket, PartRow.verdict, func.count())
                   .where(PartRow.first_seen >= window.start, PartRow.first_seen < window.end,
                          *matches(PartRow.site, site))
                   .group_by(bucket, PartRow.verdict), ["bucket", "verdict", "parts"])
    counts["time"] = pd.to_datetime(counts.bucket, unit="s")
    counts["verdict"] = counts.verdict.fillna("undecided")
    return counts


def defect_pareto(conn: Connection, window: TimeWindow, site: str | None) -> pd.DataFrame:
    """Defects per class, most frequent first, with the cumulative share (the Pareto line)."""
    defect_class = PortableSql.of(conn).json_text(EventRow.payload, "data", "defect_class").label("defect_class")
    pareto = frame(conn, select(defect_class, func.count().label("defects"))
                   .where(EventRow.kind == "defect", EventRow.capture_time >= window.start,
                          EventRow.capture_time < window.end, *matches(EventRow.site, site))
                   .group_by(defect_class), ["defect_class", "defects"])
    pareto = pareto.sort_values(["defects", "defect_class"], ascending=[False, True], ignore_index=True)
    pareto["cumulative_share"] = pareto.defects.cumsum() / max(pareto.defects.sum(), 1)
    return pareto


@dataclass(frozen=True)
class DefectSeen:
    defect_class: str
    confidence: float
    crop_jpeg: bytes | None


@dataclass(frozen=True)
class RejectedPart:
    part_id: str
    source: str
    time: pd.Timestamp
    reason: str
    defects: list[DefectSeen]


def recent_rejects(conn: Connection, window: TimeWindow, site: str | None,
                   limit: int = RECENT_REJECTS) -> list[RejectedPart]:
    """The newest rejected parts of the window with the defects their verdict names (crops included)."""
    verdicts = conn.execute(
        select(VerdictRow.part_id, VerdictRow.source, VerdictRow.capture_time, VerdictRow.reason, EventRow.payload)
        .join(EventRow, EventRow.id == VerdictRow.event_id)
        .where(VerdictRow.verdict == "reject", VerdictRow.capture_time >= window.start,
               VerdictRow.capture_time < window.end, *matches(VerdictRow.site, site))
        .order_by(VerdictRow.capture_time.desc()).limit(limit)
    ).all()
    named = {row.part_id: _body(row.payload, PartVerdict).defect_ids for row in verdicts}
    wanted = [defect_id for ids in named.values() for defect_id in ids]
    defects = {}
    if wanted:
        for event_id, payload in conn.execute(select(EventRow.id, EventRow.payload).where(EventRow.id.in_(wanted))):
            defect = _body(payload, Defect)
            defects[event_id] = DefectSeen(defect.defect_class, defect.confidence, defect.crop_jpeg)
    return [RejectedPart(row.part_id, row.source, pd.Timestamp(row.capture_time), row.reason,
                         [defects[d] for d in named[row.part_id] if d in defects]) for row in verdicts]


def _body(payload: str, kind: type[B]) -> B:
    """The event body, parsed by the schema that wrote it (base64 crops come back as JPEG bytes)."""
    body = decode_event(payload.encode()).data
    if not isinstance(body, kind):
        raise TypeError(f"stored event is a {type(body).__name__}, expected a {kind.__name__}")
    return body


def deadline_misses(conn: Connection, window: TimeWindow, site: str | None) -> pd.DataFrame:
    """The reject controllers' deadline-miss alarms: rejects that reached the diverter after the part had passed."""
    sql = PortableSql.of(conn)
    return frame(conn, select(EventRow.capture_time, EventRow.source, sql.json_text(EventRow.payload, "data", "text"))
                   .where(EventRow.kind == "alarm", EventRow.capture_time >= window.start,
                          EventRow.capture_time < window.end, *matches(EventRow.site, site),
                          sql.json_text(EventRow.payload, "data", "alarm") == "deadline_miss")
                   .order_by(EventRow.capture_time.desc()), ["time", "controller", "text"])
