"""Inspection: yield, the defect Pareto by class, recent failed parts with their crops, reject actions and deadline
misses."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import Connection

from edgesight.dashboards.inspection.queries import (
    RejectedPart, deadline_misses, defect_pareto, part_counts, recent_rejects,
)
from edgesight.dashboards.live_page import PageContext, live_page, no_data_yet
from edgesight.dashboards.presentation import time_axis, time_tooltip

VERDICT_COLOURS = {"pass": "#2e9e44", "reject": "#d62d20", "undecided": "#9e9e9e"}
CARDS_PER_ROW = 4


def render(conn: Connection, ctx: PageContext) -> None:
    counts = part_counts(conn, ctx.window, ctx.site)
    misses = deadline_misses(conn, ctx.window, ctx.site)
    headline(counts, misses)
    st.subheader("Yield")
    if counts.empty:
        no_data_yet("no part was inspected in this window.")
    else:
        st.altair_chart(yield_chart(counts, ctx.window.bucket_s, ctx.window.seconds), width="stretch")
    left, right = st.columns(2)
    with left:
        st.subheader("Defects by class")
        pareto = defect_pareto(conn, ctx.window, ctx.site)
        if pareto.empty:
            no_data_yet("no defect was found in this window.")
        else:
            st.altair_chart(pareto_chart(pareto), width="stretch")
    with right:
        st.subheader("Reject actions")
        reject_actions(counts, misses)
    st.subheader("Recent failed parts")
    rejected = recent_rejects(conn, ctx.window, ctx.site)
    if rejected:
        part_cards(rejected)
    else:
        no_data_yet("no part was rejected in this window.")


def headline(counts: pd.DataFrame, misses: pd.DataFrame) -> None:
    by_verdict = counts.groupby("verdict").parts.sum()
    passed, rejected = int(by_verdict.get("pass", 0)), int(by_verdict.get("reject", 0))
    columns = st.columns(5)
    columns[0].metric("Parts inspected", f"{int(by_verdict.sum()):,}")
    columns[1].metric("Yield", f"{passed / (passed + rejected):.2%}" if passed + rejected else "–",
                      help="passed parts among those with a verdict")
    columns[2].metric("Rejected", f"{rejected:,}")
    columns[3].metric("Deadline misses", len(misses), help="rejects that reached the diverter too late")
    columns[4].metric("Awaiting verdict", f"{int(by_verdict.get('undecided', 0)):,}")


def yield_chart(counts: pd.DataFrame, bucket_s: int, window_s: float) -> alt.LayerChart:
    decided = counts[counts.verdict != "undecided"].pivot_table(index="time", columns="verdict", values="parts",
                                                                 aggfunc="sum", fill_value=0)
    passed = decided.get("pass", pd.Series(0, index=decided.index))
    rejected = decided.get("reject", pd.Series(0, index=decided.index))
    yields = pd.DataFrame({"time": decided.index, "yield": (passed / (passed + rejected)).values})
    bars = alt.Chart(counts).mark_bar(opacity=0.55).encode(
        x=time_axis(window_s),
        y=alt.Y("parts:Q", title=f"parts / {bucket_s} s", stack=True),
        color=alt.Color("verdict:N", scale=alt.Scale(domain=list(VERDICT_COLOURS),
                                                     range=list(VERDICT_COLOURS.values()))),
        tooltip=[time_tooltip(), "verdict:N", "parts:Q"],
    )
    line = alt.Chart(yields).mark_line(color="#1f3b73", strokeWidth=2, point=True).encode(
        x=time_axis(window_s),
        y=alt.Y("yield:Q", title="yield", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)),
        tooltip=[time_tooltip(), alt.Tooltip("yield:Q", format=".2%")],
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=260)


def pareto_chart(pareto: pd.DataFrame) -> alt.LayerChart:
    order = list(pareto.defect_class)
    bars = alt.Chart(pareto).mark_bar(color="#4c78a8").encode(
        x=alt.X("defect_class:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("defects:Q", title="defects"),
        tooltip=["defect_class:N", "defects:Q", alt.Tooltip("cumulative_share:Q", format=".0%")],
    )
    line = alt.Chart(pareto).mark_line(color="#e45756", point=True).encode(
        x=alt.X("defect_class:N", sort=order),
        y=alt.Y("cumulative_share:Q", title="cumulative share", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=260)


def reject_actions(counts: pd.DataFrame, misses: pd.DataFrame) -> None:
    rejected = int(counts[counts.verdict == "reject"].parts.sum())
    diverted, missed = st.columns(2)
    diverted.metric("Sent to the diverter in time", f"{max(rejected - len(misses), 0):,}")
    missed.metric("Missed the diverter", len(misses))
    if misses.empty:
        st.success("No reject missed its deadline in this window.", icon=":material/check_circle:")
    else:
        shown = misses.assign(time=misses.time.dt.strftime("%H:%M:%S"))
        st.dataframe(shown, hide_index=True, width="stretch", height=min(38 + 35 * len(shown), 250))


def part_cards(parts: list[RejectedPart]) -> None:
    for start in range(0, len(parts), CARDS_PER_ROW):
        for column, part in zip(st.columns(CARDS_PER_ROW), parts[start:start + CARDS_PER_ROW], strict=False):
            with column.container(border=True):
                st.markdown(f"**{part.part_id}**  \n{part.time:%H:%M:%S} · {part.source}")
                st.caption(part.reason)
                crops = [d for d in part.defects if d.crop_jpeg]
                if crops:
                    st.image([d.crop_jpeg for d in crops], width=110,
                             caption=[f"{d.defect_class} {d.confidence:.2f}" for d in crops])
                else:
                    st.caption("no crop was sent with its defects")


live_page("Inspection", render)
