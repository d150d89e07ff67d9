"""Queries of the Overview page. Every one is bounded by the window or by NODE_LOOKBACK, and reaches its rows
through the (kind, capture_time) and (source, capture_time) indexes."""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, func, select

from edgesight.core.events import EVENT_KINDS
from edgesight.core.store.models import EventRow, LatencySampleRow

from ..portable_sql import PortableSql
from ..query_tools import frame, matches
from ..time_window import TimeWindow

# Nodes and their presence are looked for this far back, whatever the window: an operator must see a node that
# went offline yesterday, and heartbeats arrive every few seconds, so this stays a bounded scan.
NODE_LOOKBACK = timedelta(hours=24)
HEARTBEAT_LATE_S = 30.0  # three missed heartbeats at the default 10 s
CAMERA_LATE_S = 30.0  # latency batches arrive every few seconds from a camera that delivers frames
FPS_SPAN = timedelta(minutes=2)
ALARM_LIST_LIMIT = 100


def node_health(conn: Connection, now: datetime, site: str | None) -> pd.DataFrame:
    """One row per node seen within NODE_LOOKBACK: its latest heartbeat and latest presence message, and the
    status they add up to (offline: it said so last; silent: no heartbeat for HEARTBEAT_LATE_S)."""
    sql = PortableSql.of(conn)
    presence = EventRow.seq.is_(None)  # presence messages are retained and unsequenced, heartbeats sequenced
    ranked = (
        select(EventRow.id, EventRow.site, EventRow.node, EventRow.capture_time, EventRow.payload,
               presence.label("is_presence"),
               func.row_number().over(partition_by=(EventRow.node, presence),
                                      order_by=EventRow.capture_time.desc()).label("rank"))
        .where(EventRow.kind == "node_status", EventRow.capture_time >= now - NODE_LOOKBACK,
               *matches(EventRow.site, site))
        .subquery()
    )
    latest = select(
        ranked.c.site, ranked.c.node, ranked.c.is_presence, ranked.c.capture_time,
        sql.json_text(ranked.c.payload, "data", "state").label("state"),
        sql.json_float(ranked.c.payload, "data", "uptime_s").label("uptime_s"),
        sql.json_float(ranked.c.payload, "data", "outbox_pending").label("outbox_pending"),
        sql.json_float(ranked.c.payload, "data", "shed_total").label("shed_total"),
    ).where(ranked.c.rank == 1)
    rows = frame(conn, latest, ["site", "node", "is_presence", "capture_time", "state", "uptime_s", "outbox_pending",
                                "shed_total"])
    nodes = []
    for (node_site, node), group in rows.groupby(["site", "node"], sort=True):
        beat = group[~group.is_presence.astype(bool)]
        said = group[group.is_presence.astype(bool)]
        last_beat = beat.capture_time.iloc[0] if len(beat) else None
        last_said = said.capture_time.iloc[0] if len(said) else None
        said_offline = len(said) and said.state.iloc[0] == "offline" and (last_beat is None or last_said >= last_beat)
        last_heard = max(t for t in (last_beat, last_said) if t is not None)
        if said_offline:
            status = "offline"
        elif (now - last_heard).total_seconds() > HEARTBEAT_LATE_S:
            status = "silent"
        else:
            status = "online"
        nodes.append({
            "site": node_site, "node": node, "status": status, "last_heard": last_heard,
            "uptime_h": beat.uptime_s.iloc[0] / 3600.0 if len(beat) else None,
            "outbox_pending": int(beat.outbox_pending.iloc[0]) if len(beat) else None,
            "shed_total": int(beat.shed_total.iloc[0]) if len(beat) else None,
        })
    return pd.DataFrame(nodes, columns=["site", "node", "status", "last_heard", "uptime_h", "outbox_pending",
                                        "shed_total"])


def camera_health(conn: Connection, window: TimeWindow, site: str | None) -> pd.DataFrame:
    """Cameras that sent latency batches in the window: when they last did, and the frame rate they delivered
    over the last FPS_SPAN of it (frame numbers count every delivered frame, so a sampled batch still tells)."""
    cameras = conn.execute(
        select(EventRow.site, EventRow.node, EventRow.app, EventRow.source, func.max(EventRow.capture_time))
        .where(EventRow.kind == "latency", EventRow.capture_time >= window.start, EventRow.capture_time < window.end,
               *matches(EventRow.site, site))
        .group_by(EventRow.site, EventRow.node, EventRow.app, EventRow.source)
    ).all()
    frame_rates = _frame_rates(conn, [c[3] for c in cameras], window.tail(FPS_SPAN))
    return pd.DataFrame(
        [{"site": s, "node": node, "app": app, "camera": camera, "last_batch": last,
          "status": "live" if (window.end - last).total_seconds() <= CAMERA_LATE_S else "stale",
          "fps": frame_rates.get(camera, float("nan"))} for s, node, app, camera, last in cameras],
        columns=["site", "node", "app", "camera", "last_batch", "status", "fps"],
    ).sort_values(["site", "node", "camera"])


def _frame_rates(conn: Connection, cameras: list[str], span: TimeWindow) -> dict[str, float]:
    """Frames per second between the first and the last batch in `span`, from the highest frame number in each
    batch (the batch's capture time is when its last frame was taken)."""
    if not cameras:
        return {}
    batches = frame(conn, select(LatencySampleRow.source, LatencySampleRow.capture_time,
                                 func.max(LatencySampleRow.frame_seq))
                    .where(LatencySampleRow.source.in_(cameras), LatencySampleRow.capture_time >= span.start,
                           LatencySampleRow.capture_time < span.end)
                    .group_by(LatencySampleRow.source, LatencySampleRow.event_id, LatencySampleRow.capture_time),
                    ["camera", "time", "frame"]).sort_values("time")
    rates = {}
    for camera, group in batches.groupby("camera"):
        seconds = (group.time.iloc[-1] - group.time.iloc[0]).total_seconds()
        if seconds > 0:
            rates[str(camera)] = (group.frame.iloc[-1] - group.frame.iloc[0]) / seconds
    return rates


def event_rates(conn: Connection, window: TimeWindow, site: str | None) -> pd.DataFrame:
    """Events per bucket and kind. Without a site filter this reads the (kind, capture_time) index only."""
    sql = PortableSql.of(conn)
    bucket = sql.bucket(EventRow.capture_time, window.bucket_s).label("bucket")
    rates = frame(conn, select(bucket, EventRow.kind, func.count())
                  .where(EventRow.kind.in_(EVENT_KINDS), EventRow.capture_time >= window.start,
                         EventRow.capture_time < window.end, *matches(EventRow.site, site))
                  .group_by(bucket, EventRow.kind), ["bucket", "kind", "events"])
    rates["time"] = pd.to_datetime(rates.bucket, unit="s")
    covered = rates.bucket.map(window.bucket_seconds_covered)
    rates["per_min"] = rates.events * 60.0 / covered.where(covered > 0, window.bucket_s)
    return rates


def alarms(conn: Connection, window: TimeWindow, site: str | None) -> pd.DataFrame:
    """The newest ALARM_LIST_LIMIT alarms of the window, newest first."""
    sql = PortableSql.of(conn)
    return frame(conn, select(EventRow.capture_time, EventRow.site, EventRow.app, EventRow.source,
                              sql.json_text(EventRow.payload, "data", "alarm"),
                              sql.json_text(EventRow.payload, "data", "severity"),
                              sql.json_text(EventRow.payload, "data", "text"))
                 .where(EventRow.kind == "alarm", EventRow.capture_time >= window.start,
                        EventRow.capture_time < window.end, *matches(EventRow.site, site))
                 .order_by(EventRow.capture_time.desc())
                 .limit(ALARM_LIST_LIMIT), ["time", "site", "app", "source", "alarm", "severity", "text"])


def alarm_counts(conn: Connection, window: TimeWindow, site: str | None) -> dict[str, int]:
    """Alarms of the window per alarm type."""
    sql = PortableSql.of(conn)
    alarm = sql.json_text(EventRow.payload, "data", "alarm").label("alarm")
    rows = conn.execute(
        select(alarm, func.count())
        .where(EventRow.kind == "alarm", EventRow.capture_time >= window.start, EventRow.capture_time < window.end,
               *matches(EventRow.site, site))
        .group_by(alarm)
    ).all()
    return {str(kind): int(n) for kind, n in rows}
