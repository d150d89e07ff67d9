"""What each node last said about itself before a given time: its newest node_status message (a heartbeat, or a
retained online/offline presence) and its newest heartbeat (uptime, outbox, and the streams it publishes).

Found by index seeks per node, so the cost follows the number of nodes, never the history: the node ids by a skip
scan of the (node, app, source, seq) index, then each node's messages newest first through the (source,
capture_time) index (a node_status event's source is its node). Overview, Events and the sidebar's site list
read from here.
"""
from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, select, text

from edgesight.core.store.models import EventRow

REPORT_COLUMNS = ["site", "node", "last_heard", "last_state", "uptime_s", "outbox_pending", "shed_total", "streams"]

# Each step finds the next node id above the previous one: one index seek per node.
_NODE_IDS = text("""
    WITH RECURSIVE nodes(node) AS (
        SELECT min(node) FROM events
        UNION ALL
        SELECT (SELECT min(later.node) FROM events AS later WHERE later.node > nodes.node)
        FROM nodes WHERE nodes.node IS NOT NULL
    )
    SELECT node FROM nodes WHERE node IS NOT NULL
""")


def node_ids(conn: Connection) -> list[str]:
    return list(conn.execute(_NODE_IDS).scalars())


def _newest(conn: Connection, node: str, before: datetime, heartbeat: bool) -> tuple[str, datetime, str] | None:
    """(site, capture time, payload) of the node's newest status message before `before` (newest heartbeat if
    `heartbeat`: those are sequenced, presence messages are not)."""
    query = (select(EventRow.site, EventRow.capture_time, EventRow.payload)
             .where(EventRow.source == node, EventRow.kind == "node_status", EventRow.capture_time < before)
             .order_by(EventRow.capture_time.desc()).limit(1))
    if heartbeat:
        query = query.where(EventRow.seq.is_not(None))
    row = conn.execute(query).first()
    return (row.site, row.capture_time, row.payload) if row else None


def node_reports(conn: Connection, before: datetime, site: str | None) -> pd.DataFrame:
    """One row per node that reported before `before` (on `site`, if given)."""
    reports = []
    for node in node_ids(conn):
        newest = _newest(conn, node, before, heartbeat=False)
        if newest is None or (site and newest[0] != site):
            continue
        node_site, heard, payload = newest
        status = json.loads(payload)["data"]
        beat = status if status["state"] == "heartbeat" else _heartbeat_data(conn, node, before)
        reports.append({
            "site": node_site, "node": node, "last_heard": heard, "last_state": status["state"],
            "uptime_s": status["uptime_s"],
            "outbox_pending": beat["outbox_pending"] if beat else None,
            "shed_total": beat["shed_total"] if beat else None,
            "streams": sorted(beat["streams"]) if beat else [],
        })
    return pd.DataFrame(reports, columns=REPORT_COLUMNS)


def _heartbeat_data(conn: Connection, node: str, before: datetime) -> dict | None:
    newest = _newest(conn, node, before, heartbeat=True)
    return json.loads(newest[2])["data"] if newest else None
