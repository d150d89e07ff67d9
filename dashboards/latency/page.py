"""Latency: percentiles per pipeline stage and end to end, per camera, over the window and as a time series, and a
histogram, all against the latency budget."""
from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy import Connection
from streamlit.elements.lib.column_types import ColumnConfig

from edgesight.dashboards.latency.queries import (
    END_TO_END, latency_cameras, stage_bins, stage_series_bins, stage_sort_key,
)
from edgesight.dashboards.latency_bins import PERCENTILES, LatencyHistogram
from edgesight.dashboards.live_page import PageContext, live_page, no_data_yet
from edgesight.dashboards.presentation import time_axis, time_tooltip

ALL_CAMERAS = "All cameras"
HISTOGRAM_BARS = 50
PERCENTILE_COLOURS = {"p50": "#4c78a8", "p90": "#72b7b2", "p95": "#f58518", "p99": "#e45756"}


def render(conn: Connection, ctx: PageContext) -> None:
    cameras = latency_cameras(conn, ctx.window, ctx.site)
    if not cameras:
        no_data_yet("no camera sent a latency batch in this window.")
        return
    bins = stage_bins(conn, ctx.window, cameras)
    stages = sorted(bins.stage.unique(), key=stage_sort_key)
    pick_camera, pick_stage, pick_budget = st.columns([2, 2, 1])
    camera = pick_camera.selectbox("Camera", [ALL_CAMERAS, *cameras], key="latency_camera")
    stage = pick_stage.selectbox("Stage for the time series and histogram", stages, key="latency_stage",
                                 index=stages.index(END_TO_END) if END_TO_END in stages else 0)
    budget = pick_budget.number_input("Budget ms (end to end)", min_value=1.0, value=ctx.config.latency_budget_ms,
                                      step=10.0, key="latency_budget")
    chosen = cameras if camera == ALL_CAMERAS else [camera]
    histograms = per_stage(bins[bins.camera.isin(chosen)])

    headline(histograms, budget)
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Per stage")
        st.dataframe(percentile_table(histograms, "stage"), hide_index=True, width="stretch",
                     column_config=_ms_columns())
    with right:
        st.subheader("End to end per camera")
        per_camera = {c: LatencyHistogram.from_frame(g) for c, g in bins[bins.stage == END_TO_END].groupby("camera")}
        if per_camera:
            st.dataframe(percentile_table(per_camera, "camera"), hide_index=True, width="stretch",
                         column_config=_ms_columns())
        else:
            no_data_yet("no end_to_end stage in these batches.")

    st.subheader(f"{stage} over time")
    series = percentile_series(stage_series_bins(conn, ctx.window, chosen, stage))
    if series.empty:
        no_data_yet(f"too few {stage} samples per {ctx.window.bucket_s} s bucket for a percentile.")
    else:
        st.altair_chart(series_chart(series, budget if stage == END_TO_END else None, ctx.window.seconds),
                        width="stretch")
    st.caption(f"Percentiles per {ctx.window.bucket_s} s bucket, {camera if camera != ALL_CAMERAS else 'all cameras'}.")
    st.subheader(f"{stage} histogram")
    if stage in histograms:
        st.altair_chart(histogram_chart(histograms[stage], budget if stage == END_TO_END else None), width="stretch")
    else:
        no_data_yet(f"{camera} reported no {stage} stage in this window.")


def per_stage(bins: pd.DataFrame) -> dict[str, LatencyHistogram]:
    return {stage: LatencyHistogram.from_frame(group)
            for stage, group in sorted(bins.groupby("stage"), key=lambda item: stage_sort_key(str(item[0])))}


def headline(histograms: dict[str, LatencyHistogram], budget: float) -> None:
    end_to_end = histograms.get(END_TO_END)
    if end_to_end is None:
        return
    values = end_to_end.percentiles()
    columns = st.columns(5)
    for column, p in zip(columns[:3], (50, 95, 99), strict=True):
        column.metric(f"End to end p{p}", f"{values[p]:.1f} ms")
    columns[3].metric("Over budget", f"{end_to_end.share_above(budget):.2%}", help=f"frames slower than {budget:g} ms")
    columns[4].metric("Frames sampled", f"{end_to_end.n:,}")


def percentile_table(histograms: dict[str, LatencyHistogram], label: str) -> pd.DataFrame:
    rows = []
    for name, histogram in histograms.items():
        values = histogram.percentiles()
        rows.append({label: name, **{f"p{p}": values[p] for p in PERCENTILES}, "frames": histogram.n})
    return pd.DataFrame(rows, columns=[label, *(f"p{p}" for p in PERCENTILES), "frames"])


def _ms_columns() -> dict[str, ColumnConfig]:
    return {f"p{p}": st.column_config.NumberColumn(f"p{p} ms", format="%.2f") for p in PERCENTILES}


def percentile_series(bucket_bins: pd.DataFrame) -> pd.DataFrame:
    """Percentiles per bucket; a percentile is left out of a bucket with too few frames to tell it from the
    slowest one (p99 needs 100 frames), rather than drawing the maximum under its name."""
    rows = []
    for bucket, group in bucket_bins.groupby("bucket"):
        histogram = LatencyHistogram.from_frame(group)
        values = histogram.percentiles()
        time = pd.to_datetime(bucket, unit="s")
        rows += [{"time": time, "percentile": f"p{p}", "ms": values[p], "frames": histogram.n}
                 for p in PERCENTILES if histogram.n * (100 - p) >= 100]
    return pd.DataFrame(rows, columns=["time", "percentile", "ms", "frames"])


def _budget_rule(budget: float, orient: str) -> alt.Chart:
    channel = alt.Y("ms:Q") if orient == "y" else alt.X("ms:Q")
    rule = alt.Chart(pd.DataFrame({"ms": [budget], "label": [f"budget {budget:g} ms"]}))
    placed = {"y": alt.value(20)} if orient == "x" else {"x": alt.value(4)}
    return (rule.mark_rule(color="#d62d20", strokeDash=[6, 4], strokeWidth=2).encode(channel)
            + rule.mark_text(color="#d62d20", align="left", dx=4, dy=-6).encode(channel, text="label:N", **placed))


def series_chart(series: pd.DataFrame, budget: float | None, window_s: float) -> alt.LayerChart | alt.Chart:
    lines = alt.Chart(series).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=time_axis(window_s),
        y=alt.Y("ms:Q", title="ms"),
        color=alt.Color("percentile:N", scale=alt.Scale(domain=list(PERCENTILE_COLOURS),
                                                        range=list(PERCENTILE_COLOURS.values()))),
        tooltip=[time_tooltip(), "percentile:N", alt.Tooltip("ms:Q", format=".2f"), "frames:Q"],
    ).properties(height=260)
    return lines + _budget_rule(budget, "y") if budget is not None else lines


def histogram_chart(histogram: LatencyHistogram, budget: float | None) -> alt.LayerChart:
    values = histogram.percentiles((50, 95, 99, 99.9))
    top = max(values[99.9] * 1.05, (budget or 0.0) * 1.1)
    width = _nice_width(top / HISTOGRAM_BARS)
    edges = np.arange(0.0, top + width, width)
    counts = histogram.regrouped(edges)
    bars = pd.DataFrame({"from": edges[:-1], "to": edges[1:], "frames": counts})
    chart = alt.Chart(bars).mark_bar(color="#4c78a8").encode(
        x=alt.X("from:Q", title="ms (the last bar holds everything above)", bin="binned"),
        x2="to:Q",
        y=alt.Y("frames:Q", title="frames"),
        tooltip=[alt.Tooltip("from:Q", format=".2f"), alt.Tooltip("to:Q", format=".2f"), "frames:Q"],
    ).properties(height=260)
    marks = pd.DataFrame({"ms": [values[p] for p in (50, 95, 99)], "label": ["p50", "p95", "p99"]})
    marked = alt.Chart(marks)
    layers = chart + marked.mark_rule(color="#555555").encode(x="ms:Q") + marked.mark_text(
        align="left", dx=3, color="#555555").encode(x="ms:Q", y=alt.value(8), text="label:N")
    return layers + _budget_rule(budget, "x") if budget is not None else layers


def _nice_width(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least `raw`."""
    power = 10.0 ** math.floor(math.log10(raw)) if raw > 0 else 0.01
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


live_page("Latency", render)
