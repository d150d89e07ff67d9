"""Queries of the Traffic page. Lane measures come from the traffic_flow events' JSON lanes (one row per lane
and interval), signal timing from the signal_states projection; all bounded by the window."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Integer, String, cast, func, select, true
from sqlalchemy.sql.elements import ColumnElement

from edgesight.core.store.models import EventRow, SignalStateRow

from ..portable_sql import PortableSql
from ..query_tools import frame, matches
from ..time_window import TimeWindow


def _flows(window: TimeWindow, site: str | None) -> list[ColumnElement[bool]]:
    return [EventRow.kind == "traffic_flow", EventRow.capture_time >= window.start, EventRow.capture_time < window.end,
            *matches(EventRow.site, site)]


def lane_series(conn: Connection, window: TimeWindow, site: str | None) -> pd.DataFrame:
    """Per bucket, camera and lane: vehicles counted, mean flow (veh/h), mean occupancy (0..1), mean and longest
    queue (m), mean speed (km/h, over intervals in which a vehicle passed). One pass over the events: parsing
    their JSON is most of the cost, so the counts come from the same pass as the measures."""
    sql = PortableSql.of(conn)
    lane = sql.json_elements(EventRow.payload, "data", "lanes", name="lane")
    vehicle = sql.json_members(lane.c.value, "counts", name="vehicle")
    lane_vehicles = select(func.coalesce(func.sum(cast(vehicle.c.value, Integer)), 0)).scalar_subquery()
    bucket = sql.bucket(EventRow.capture_time, window.bucket_s).label("bucket")
    name = sql.json_text(lane.c.value, "lane").label("lane")
    series = frame(conn, select(
        bucket, EventRow.source, name,
        func.sum(lane_vehicles),
        func.avg(sql.json_float(lane.c.value, "flow_veh_h")),
        func.avg(sql.json_float(lane.c.value, "occupancy")),
        func.avg(sql.json_float(lane.c.value, "queue_length_m")),
        func.max(sql.json_float(lane.c.value, "queue_length_m")),
        func.avg(sql.json_float(lane.c.value, "mean_speed_kmh")),
    ).select_from(EventRow).join(lane, true()).where(*_flows(window, site)).group_by(bucket, EventRow.source, name),
        ["bucket", "camera", "lane", "vehicles", "flow_veh_h", "occupancy", "queue_m", "max_queue_m", "speed_kmh"])
    series["time"] = pd.to_datetime(series.bucket, unit="s")
    return series


def controllers(conn: Connection, window: TimeWindow, site: str | None) -> dict[str, datetime]:
    """Signal controllers that published signal states in the window, with the time of their latest one."""
    return dict(conn.execute(
        select(EventRow.source, func.max(EventRow.capture_time))
        .where(EventRow.kind == "signal_state", EventRow.capture_time >= window.start,
               EventRow.capture_time < window.end, *matches(EventRow.site, site))
        .group_by(EventRow.source).order_by(EventRow.source)
    ).all())


SIGNAL_COLUMNS = ["time", "phase", "plan_id", "groups", "reason"]


def signal_changes(conn: Connection, controller: str, window: TimeWindow) -> pd.DataFrame:
    """The controller's signal states that changed some group's colour, in the window, plus the state in force
    at its start (the controller also republishes unchanged states; those are dropped in SQL)."""
    groups_text = cast(SignalStateRow.groups, String)
    states = (
        select(SignalStateRow.capture_time, SignalStateRow.phase, SignalStateRow.plan_id, SignalStateRow.groups,
               SignalStateRow.reason,
               func.lag(groups_text).over(order_by=SignalStateRow.capture_time).label("previous"),
               groups_text.label("current"))
        .where(SignalStateRow.source == controller, SignalStateRow.capture_time >= window.start,
               SignalStateRow.capture_time < window.end)
        .subquery()
    )
    changes = frame(conn, select(states.c.capture_time, states.c.phase, states.c.plan_id, states.c.groups,
                                 states.c.reason)
                    .where((states.c.previous.is_(None)) | (states.c.previous != states.c.current))
                    .order_by(states.c.capture_time), SIGNAL_COLUMNS)
    before = state_before(conn, controller, window.start)
    return pd.concat([before, changes], ignore_index=True) if len(before) else changes


def state_before(conn: Connection, controller: str, at: datetime) -> pd.DataFrame:
    """The controller's last signal state before `at` (none if it published none)."""
    return frame(conn, select(SignalStateRow.capture_time, SignalStateRow.phase, SignalStateRow.plan_id,
                              SignalStateRow.groups, SignalStateRow.reason)
                 .where(SignalStateRow.source == controller, SignalStateRow.capture_time < at)
                 .order_by(SignalStateRow.capture_time.desc()).limit(1), SIGNAL_COLUMNS)


def controller_alarms(conn: Connection, controller: str, window: TimeWindow) -> pd.DataFrame:
    """The controller's alarms in the window: safety interventions, stale measurements, conflict faults."""
    sql = PortableSql.of(conn)
    return frame(conn, select(EventRow.capture_time, sql.json_text(EventRow.payload, "data", "alarm"),
                              sql.json_text(EventRow.payload, "data", "severity"),
                              sql.json_text(EventRow.payload, "data", "text"))
                 .where(EventRow.kind == "alarm", EventRow.source == controller, EventRow.capture_time >= window.start,
                        EventRow.capture_time < window.end)
                 .order_by(EventRow.capture_time), ["time", "alarm", "severity", "text"])
