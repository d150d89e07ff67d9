"""Queries of the Overview page. Node and camera health come from what each node last reported (node_reports:
index seeks per node and camera); rates and alarms are bounded by the window and read through the (kind,
capture_time) index."""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, func, select

from edgesight.core.bus.publisher import NODE_APP
from edgesight.core.events import EVENT_KINDS
from edgesight.core.store.models import EventRow, LatencySampleRow

from ..portable_sql import PortableSql
from ..query_tools import frame, matches
from ..time_window import TimeWindow

HEARTBEAT_LATE_S = 30.0  # three missed heartbeats at the default 10 s
CAMERA_LATE_S = 30.0  # latency batches arrive every few seconds from a camera that delivers frames
FPS_SPAN = timedelta(minutes=2)
ALARM_LIST_LIMIT = 100
NODE_COLUMNS = ["site", "node", "status", "last_heard", "uptime_h", "outbox_pending", "shed_total"]
CAMERA_COLUMNS = ["site", "node", "app", "camera", "last_batch", "status", "fps"]


def node_health(reports: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Each node's status from its newest message: offline if that says so, silent if it is older than
    HEARTBEAT_LATE_S, online otherwise."""
    def status(report: pd.Series) -> str:
        if report.last_state == "offline":
            return "offline"
        return "silent" if (now - report.last_heard).total_seconds() > HEARTBEAT_LATE_S else "online"

    if reports.empty:
        return pd.DataFrame(columns=NODE_COLUMNS)
    health = reports.assign(status=reports.apply(status, axis=1), uptime_h=reports.uptime_s / 3600.0)
    return health[NODE_COLUMNS]


def camera_health(conn: Connection, window: TimeWindow, reports: pd.DataFrame) -> pd.DataFrame:
    """The cameras among the streams the nodes named in their newest heartbeat (those with latency samples):
    when their newest batch was taken, and the frame rate they delivered over the last FPS_SPAN of the window
    (frame numbers count every delivered frame, so a sampled batch still tells)."""
    cameras = []
    for report in reports.itertuples():
        for stream in report.streams:
            app, _, source = stream.partition("/")
            newest = None if app == NODE_APP else conn.execute(
                select(func.max(LatencySampleRow.capture_time))
                .where(LatencySampleRow.source == source, LatencySampleRow.capture_time < window.end)).scalar()
            if newest is not None:
                late = (window.end - newest).total_seconds() > CAMERA_LATE_S
                cameras.append({"site": report.site, "node": report.node, "app": app, "camera": source,
                                "last_batch": newest, "status": "stale" if late else "live"})
    frame_rates = _frame_rates(conn, [c["camera"] for c in cameras], window.tail(FPS_SPAN))
    health = pd.DataFrame(cameras, columns=CAMERA_COLUMNS[:-1])
    health["fps"] = health.camera.map(frame_rates).astype(float)
    return health.sort_values(["site", "node", "camera"], ignore_index=True)


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
