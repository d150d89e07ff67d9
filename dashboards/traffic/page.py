"""Traffic: counts, flow, occupancy and queue per lane over time; signal timing (a timing diagram, cycle length and
green splits, safety interventions marked); controller delay in simulation runs."""
from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import Connection

from edgesight.dashboards.live_page import PageContext, live_page, no_data_yet
from edgesight.dashboards.presentation import SIGNAL_COLOURS, chart_time, coloured, time_axis, time_tooltip
from edgesight.dashboards.traffic.queries import (
    controller_alarms, controllers, lane_series, signal_changes,
)
from edgesight.dashboards.traffic.signal_timing import (
    colour_intervals, cycles_per_bucket, green_cycles, merge_groups_in_step,
)
from edgesight.dashboards.traffic.sim_results import load_sim_results

TIMELINE_SPANS = {"Last 5 minutes": timedelta(minutes=5), "Last 15 minutes": timedelta(minutes=15),
                  "Last hour": timedelta(hours=1), "Whole window": None}
LANE_MEASURES = {  # tab title -> (column, axis title)
    "Flow": ("flow_veh_h", "veh/h"),
    "Occupancy": ("occupancy", "occupancy"),
    "Queue": ("queue_m", "queue m"),
    "Speed": ("speed_kmh", "km/h"),
}
SIGNAL_STATE_HOLD = timedelta(minutes=2)  # longer than any green or red of a group without a state change
ALARM_COLOURS = {"safety_intervention": "#7b3294", "stale_measurement": "#e66101", "conflict_fault": "#d62d20"}


def render(conn: Connection, ctx: PageContext) -> None:
    st.header("Lanes")
    lanes(conn, ctx)
    st.header("Signal timing")
    signal_timing(conn, ctx)
    st.header("Controllers in simulation")
    simulation_runs(ctx)


# ------------------------------------------------------------------------------------------------ lanes

def lanes(conn: Connection, ctx: PageContext) -> None:
    series = lane_series(conn, ctx.window, ctx.site)
    if series.empty:
        no_data_yet("no traffic_flow event in this window.")
        return
    series["lane_id"] = series.camera + " / " + series.lane
    st.dataframe(lane_summary(series), hide_index=True, width="stretch", column_config={
        "vehicles": st.column_config.NumberColumn("vehicles", format="%d"),
        "flow_veh_h": st.column_config.NumberColumn("flow veh/h", format="%.0f"),
        "occupancy": st.column_config.ProgressColumn("occupancy", format="percent", min_value=0.0, max_value=1.0),
        "queue_m": st.column_config.NumberColumn("mean queue m", format="%.1f"),
        "max_queue_m": st.column_config.NumberColumn("longest queue m", format="%.0f"),
        "speed_kmh": st.column_config.NumberColumn("speed km/h", format="%.0f"),
    })
    # One chart at a time: tabs would build every measure's chart on each refresh.
    measure = st.segmented_control("Measure", ["Counts", *LANE_MEASURES], default="Counts", required=True,
                                   key="traffic_measure")
    if measure in LANE_MEASURES:
        column, title = LANE_MEASURES[measure]
        st.altair_chart(alt.Chart(series).mark_line().encode(
            x=time_axis(ctx.window.seconds),
            y=alt.Y(f"{column}:Q", title=title, axis=alt.Axis(format="%") if column == "occupancy" else alt.Axis()),
            color=alt.Color("lane_id:N", title="lane"),
            tooltip=[time_tooltip(), "lane_id:N", alt.Tooltip(f"{column}:Q", format=".2f")],
        ).properties(height=260), width="stretch")
    else:
        st.altair_chart(alt.Chart(series).mark_bar().encode(
            x=time_axis(ctx.window.seconds), y=alt.Y("vehicles:Q", title=f"vehicles / {ctx.window.bucket_s} s"),
            color=alt.Color("lane_id:N", title="lane"), tooltip=[time_tooltip(), "lane_id:N", "vehicles:Q"],
        ).properties(height=260), width="stretch")
    st.caption(f"Means per {ctx.window.bucket_s} s bucket of the cameras' {', '.join(sorted(series.camera.unique()))} "
               "flow intervals.")


def lane_summary(series: pd.DataFrame) -> pd.DataFrame:
    """Per lane over the window; bucket means weigh every bucket alike, which is how the charts read too."""
    summary = series.groupby("lane_id").agg(vehicles=("vehicles", "sum"), flow_veh_h=("flow_veh_h", "mean"),
                                            occupancy=("occupancy", "mean"), queue_m=("queue_m", "mean"),
                                            max_queue_m=("max_queue_m", "max"), speed_kmh=("speed_kmh", "mean"))
    return summary.reset_index().rename(columns={"lane_id": "lane"})


# ------------------------------------------------------------------------------------------------ signal timing

def signal_timing(conn: Connection, ctx: PageContext) -> None:
    found = controllers(conn, ctx.window, ctx.site)
    if not found:
        no_data_yet("no signal controller published a signal state in this window.")
        return
    pick_controller, pick_span = st.columns(2)
    controller = pick_controller.selectbox("Controller", list(found), key="traffic_controller")
    span_name = pick_span.selectbox("Timing diagram span", list(TIMELINE_SPANS), key="traffic_timeline_span")
    span = TIMELINE_SPANS[span_name]

    changes = signal_changes(conn, controller, ctx.window)
    # A controller publishes at least on every change, so a colour is known only so long after its last state.
    known_until = min(ctx.window.end, found[controller] + SIGNAL_STATE_HOLD)
    intervals = colour_intervals(changes, ctx.window.start, known_until)
    cycles = merge_groups_in_step(green_cycles(intervals))
    alarms = controller_alarms(conn, controller, ctx.window)
    timing_headline(changes, cycles, alarms)

    shown = ctx.window.tail(span) if span else ctx.window
    visible = intervals[intervals.end > shown.start].assign(start=lambda t: t.start.clip(lower=shown.start))
    st.altair_chart(timing_diagram(visible, alarms[alarms.time >= shown.start], shown.seconds), width="stretch")
    st.caption("Each row is a signal group; colour is what it showed. Marks above: the controller's safety "
               "interventions and stale-measurement fall-backs.")
    if cycles.empty:
        no_data_yet("no group completed a cycle (green to next green) in this window.")
    else:
        per_bucket = cycles_per_bucket(cycles, ctx.window.bucket_s)
        left, right = st.columns(2)
        with left:
            st.altair_chart(cycle_chart(per_bucket, "cycle_s", "median cycle length s", alarms, ctx.window.seconds),
                            width="stretch")
        with right:
            st.altair_chart(cycle_chart(per_bucket, "split", "green split", alarms, ctx.window.seconds),
                            width="stretch")
        st.caption(f"Per {ctx.window.bucket_s} s bucket: the median of the cycles that ended in it (green start to "
                   "next green start) and the share of their time that was green.")
    if len(alarms):
        with st.expander(f"{len(alarms)} safety interventions and fall-backs", expanded=False):
            shown_alarms = alarms.assign(time=alarms.time.dt.strftime("%H:%M:%S"))
            st.dataframe(coloured(shown_alarms, "severity"), hide_index=True, width="stretch")


def timing_headline(changes: pd.DataFrame, cycles: pd.DataFrame, alarms: pd.DataFrame) -> None:
    columns = st.columns(4)
    columns[0].metric("Plan now", changes.plan_id.iloc[-1] if len(changes) else "–")
    columns[1].metric("Median cycle", f"{cycles.cycle_s.median():.0f} s" if len(cycles) else "–")
    columns[2].metric("Cycles", f"{cycles.groupby('group').size().max() if len(cycles) else 0}",
                      help="complete cycles (green to next green) of the group that had the most in the window")
    columns[3].metric("Interventions", len(alarms))


def _alarm_marks(alarms: pd.DataFrame, legend: bool) -> alt.Chart:
    marks = alarms.assign(time=chart_time(alarms.time))
    scale = alt.Scale(domain=list(ALARM_COLOURS), range=list(ALARM_COLOURS.values()))
    return alt.Chart(marks).mark_rule(strokeWidth=2, strokeDash=[3, 2]).encode(
        x="time:T",
        color=alt.Color("alarm:N", title="intervention", scale=scale, legend=alt.Legend() if legend else None),
        tooltip=[time_tooltip(), "alarm:N", "text:N"],
    )


def timing_diagram(intervals: pd.DataFrame, alarms: pd.DataFrame, span_s: float) -> alt.LayerChart:
    bars = intervals.assign(start=chart_time(intervals.start), end=chart_time(intervals.end))
    colours = [c for c in SIGNAL_COLOURS if c in set(bars.colour)] or list(SIGNAL_COLOURS)
    diagram = alt.Chart(bars).mark_bar(height={"band": 0.7}).encode(
        x=time_axis(span_s, "start"), x2="end:T",
        y=alt.Y("group:N", title="signal group", sort="ascending"),
        color=alt.Color("colour:N", title="shows", scale=alt.Scale(domain=colours,
                                                                   range=[SIGNAL_COLOURS[c] for c in colours])),
        tooltip=["group:N", "colour:N", "phase:N", "plan_id:N", time_tooltip("start"), time_tooltip("end")],
    ).properties(height=40 + 36 * max(bars.group.nunique(), 1))
    return alt.layer(diagram, _alarm_marks(alarms, legend=True)).resolve_scale(color="independent")


def cycle_chart(per_bucket: pd.DataFrame, column: str, title: str, alarms: pd.DataFrame,
                window_s: float) -> alt.LayerChart:
    points = per_bucket.assign(time=chart_time(per_bucket.time))
    line = alt.Chart(points).mark_line(point=True).encode(
        x=time_axis(window_s),
        y=alt.Y(f"{column}:Q", title=title, axis=alt.Axis(format="%") if column == "split" else alt.Axis()),
        color=alt.Color("group:N", title="group"),
        tooltip=["group:N", time_tooltip(), alt.Tooltip("cycle_s:Q", format=".0f", title="median cycle s"),
                 alt.Tooltip("split:Q", format=".0%", title="green split"), "cycles:Q"],
    ).properties(height=240, title=title)
    return alt.layer(line, _alarm_marks(alarms, legend=False)).resolve_scale(color="independent")


# ------------------------------------------------------------------------------------------------ simulation

def simulation_runs(ctx: PageContext) -> None:
    folder = ctx.config.sim_results
    if folder is None or not folder.is_dir():
        no_data_yet("no simulation results. Write them with `edgesight traffic evaluate -s <scenario> --json > "
                    "<folder>/<scenario>.json` and start the dashboard with `--sim-results <folder>`.")
        return
    results, problems = load_sim_results(folder)
    for problem in problems:
        st.warning(problem)
    if results.empty:
        no_data_yet(f"no evaluation table in {folder}.")
        return
    delay = results[results.metric == "mean_time_loss_s"].assign(low=lambda t: t["mean"] - t["std"],
                                                                  high=lambda t: t["mean"] + t["std"])
    base = alt.Chart(delay).encode(y=alt.Y("controller:N", title=None, sort="x", axis=alt.Axis(labelLimit=260)))
    bars = base.mark_bar().encode(x=alt.X("mean:Q", title="mean delay per vehicle s (time loss)"),
                                  color=alt.Color("controller:N", legend=None),
                                  tooltip=["scenario:N", "controller:N", alt.Tooltip("mean:Q", format=".1f"),
                                           alt.Tooltip("std:Q", format=".1f"), "seeds:Q"])
    whiskers = base.mark_rule().encode(x="low:Q", x2="high:Q")
    chart = alt.layer(bars, whiskers).properties(height=28 * delay.controller.nunique()).facet(
        row=alt.Row("scenario:N", title=None))
    st.altair_chart(chart)
    table = results.pivot_table(index=["scenario", "controller"], columns="heading", values="mean").reset_index()
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={heading: st.column_config.NumberColumn(heading, format="%.1f")
                                for heading in results.heading.unique()})
    st.caption("Means over seeds; whiskers: ± one standard deviation.")


live_page("Traffic", render)
