"""Events: the newest stored events, live, filtered by site (sidebar), app, source (camera or controller), kind
and time window."""
from __future__ import annotations

import streamlit as st
from sqlalchemy import Connection

from edgesight.core.events import EVENT_KINDS
from edgesight.dashboards.events.queries import EventFilter, known_streams, newest_events, payload_summary
from edgesight.dashboards.live_page import PageContext, live_page, no_data_yet
from edgesight.dashboards.node_reports import node_reports

EVERY = "All"
ROW_LIMITS = (100, 200, 500, 1000)


def render(conn: Connection, ctx: PageContext) -> None:
    streams = known_streams(node_reports(conn, ctx.window.end, ctx.site))
    pick_app, pick_source, pick_kinds, pick_limit = st.columns([1, 1, 3, 1])
    app = pick_app.selectbox("App", [EVERY, *sorted(streams.app.unique())], key="events_app")
    sources = streams[streams.app == app].source if app != EVERY else streams.source
    source = pick_source.selectbox("Source", [EVERY, *sorted(sources.unique())], key="events_source",
                                   help="camera, controller or node id")
    kinds = pick_kinds.multiselect("Kinds", sorted(EVENT_KINDS), default=sorted(EVENT_KINDS), key="events_kinds")
    limit = pick_limit.selectbox("Rows", ROW_LIMITS, index=1, key="events_limit")
    wanted = EventFilter(kinds=kinds, site=ctx.site, app=None if app == EVERY else app,
                         source=None if source == EVERY else source)
    events = newest_events(conn, ctx.window, wanted, limit)
    if events.empty:
        no_data_yet("no stored event in this window matches these filters.")
        return
    shown = events.assign(time=events.time.dt.strftime("%H:%M:%S.%f").str[:-3],
                          payload=[payload_summary(p) for p in events.payload])
    st.dataframe(shown, hide_index=True, width="stretch", height=min(38 + 35 * len(shown), 720), column_config={
        "seq": st.column_config.NumberColumn("seq", format="%d"),
        "payload": st.column_config.TextColumn("data", width="large"),
    })
    st.caption(f"The {len(events)} newest of the window, newest first.")


live_page("Events", render)
