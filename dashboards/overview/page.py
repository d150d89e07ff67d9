"""Overview: is every node and camera up, how busy is the site, and is anything alarming."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import Connection

from edgesight.dashboards.live_page import PageContext, live_page, no_data_yet
from edgesight.dashboards.node_reports import node_reports
from edgesight.dashboards.overview.queries import (
    CAMERA_LATE_S, HEARTBEAT_LATE_S, alarm_counts, alarms, camera_health, event_rates, node_health,
)
from edgesight.dashboards.presentation import age, coloured, time_axis, time_tooltip


def render(conn: Connection, ctx: PageContext) -> None:
    now = ctx.window.end
    reports = node_reports(conn, now, ctx.site)
    nodes = node_health(reports, now)
    cameras = camera_health(conn, ctx.window, reports)
    counts = alarm_counts(conn, ctx.window, ctx.site)
    rates = event_rates(conn, ctx.window, ctx.site)
    headline(nodes, cameras, counts, rates, ctx)
    attention(nodes, cameras, conn, ctx)
    left, right = st.columns(2)
    with left:
        node_table(nodes, now)
    with right:
        camera_table(cameras, now)
    rate_chart(rates, ctx)


def headline(nodes: pd.DataFrame, cameras: pd.DataFrame, counts: dict[str, int], rates: pd.DataFrame,
             ctx: PageContext) -> None:
    columns = st.columns(6)
    columns[0].metric("Nodes online", f"{(nodes.status == 'online').sum()} / {len(nodes)}")
    columns[1].metric("Cameras live", f"{(cameras.status == 'live').sum()} / {len(cameras)}")
    columns[2].metric("Events / min", f"{rates.events.sum() / ctx.window.minutes:,.0f}")
    columns[3].metric("Deadline misses", counts.get("deadline_miss", 0))
    columns[4].metric("Safety interventions", counts.get("safety_intervention", 0) + counts.get("conflict_fault", 0))
    columns[5].metric("Stale measurements", counts.get("stale_measurement", 0))


def attention(nodes: pd.DataFrame, cameras: pd.DataFrame, conn: Connection, ctx: PageContext) -> None:
    st.subheader("Needs attention")
    now = ctx.window.end
    problems = [
        ("Nodes not online", [f"**{n.node}** {n.status}, last heard {age(now, n.last_heard)} ago"
                              for n in nodes.itertuples() if n.status != "online"]),
        ("Cameras without latency batches", [f"**{c.camera}** ({c.node}) for {age(now, c.last_batch)}"
                                             for c in cameras.itertuples() if c.status != "live"]),
        ("Outbox backlog", [f"**{n.node}** {n.outbox_pending:,} events not yet at the broker"
                            for n in nodes.itertuples() if n.outbox_pending]),
        ("Shed events", [f"**{n.node}** dropped {n.shed_total:,} bulk events to keep critical ones flowing"
                         for n in nodes.itertuples() if n.shed_total]),
    ]
    for heading, items in problems:
        if items:
            st.warning(f"{heading}: " + "; ".join(items), icon=":material/warning:")
    recent = alarms(conn, ctx.window, ctx.site)
    if len(recent):
        recent["time"] = recent.time.dt.strftime("%H:%M:%S")
        st.dataframe(coloured(recent[["time", "severity", "alarm", "app", "source", "text"]], "severity"),
                     hide_index=True, width="stretch", height=min(38 + 35 * len(recent), 300),
                     column_config={"text": st.column_config.TextColumn("text", width="large")})
    elif not any(items for _, items in problems):
        st.success("Nothing alarming in this window.", icon=":material/check_circle:")


def node_table(nodes: pd.DataFrame, now: pd.Timestamp) -> None:
    st.subheader("Nodes")
    if nodes.empty:
        no_data_yet("no node has reported its status.")
        return
    shown = nodes.assign(last_heard=[age(now, t) for t in nodes.last_heard])
    st.dataframe(coloured(shown, "status"), hide_index=True, width="stretch", column_config={
        "last_heard": st.column_config.TextColumn("last heard", help="time since its last heartbeat or presence"),
        "uptime_h": st.column_config.NumberColumn("uptime h", format="%.1f"),
        "outbox_pending": st.column_config.NumberColumn("outbox", help="events not yet acknowledged by the broker"),
        "shed_total": st.column_config.NumberColumn("shed", help="bulk events dropped for a full outbox"),
    })
    st.caption(f"silent: no heartbeat for more than {HEARTBEAT_LATE_S:.0f} s.")


def camera_table(cameras: pd.DataFrame, now: pd.Timestamp) -> None:
    st.subheader("Cameras")
    if cameras.empty:
        no_data_yet("no node has named a camera that sent latency batches.")
        return
    shown = cameras.assign(last_batch=[age(now, t) for t in cameras.last_batch])
    st.dataframe(coloured(shown, "status"), hide_index=True, width="stretch", column_config={
        "last_batch": st.column_config.TextColumn("last batch", help="time since its last latency batch"),
        "fps": st.column_config.NumberColumn("fps", format="%.1f", help="frames delivered per second, last 2 min"),
    })
    st.caption(f"stale: no latency batch for more than {CAMERA_LATE_S:.0f} s.")


def rate_chart(rates: pd.DataFrame, ctx: PageContext) -> None:
    st.subheader("Event rates")
    if rates.empty:
        no_data_yet("no event was stored in this window.")
        return
    chart = alt.Chart(rates).mark_area(interpolate="step-after").encode(
        x=time_axis(ctx.window.seconds),
        y=alt.Y("sum(per_min):Q", title="events / min", stack=True),
        color=alt.Color("kind:N", title="kind"),
        tooltip=[time_tooltip(), "kind:N", alt.Tooltip("per_min:Q", format=".0f", title="events / min")],
    ).properties(height=240)
    st.altair_chart(chart, width="stretch")
    st.caption(f"Bucket {ctx.window.bucket_s} s.")


live_page("Overview", render)
