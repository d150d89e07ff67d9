"""How values look on every page: status colours, ages, UTC times for charts."""
from __future__ import annotations

from datetime import datetime

import altair as alt
import pandas as pd
from pandas.io.formats.style import Styler

# Background per status word, readable with dark text; the same word has the same colour on every page.
STATUS_COLOURS = {
    "online": "#c8efd0", "live": "#c8efd0", "pass": "#c8efd0", "info": "#dde8f7",
    "silent": "#ffe3b0", "stale": "#ffe3b0", "warning": "#ffe3b0",
    "offline": "#ffc9c9", "critical": "#ffc9c9", "reject": "#ffc9c9",
}
SIGNAL_COLOURS = {"green": "#2e9e44", "amber": "#f2b705", "red_amber": "#f28705", "red": "#d62d20",
                  "flashing_amber": "#f7d774", "dark": "#555555"}


def coloured(table: pd.DataFrame, *columns: str) -> Styler:
    """The table with each status word in `columns` on its STATUS_COLOURS background."""
    return table.style.map(lambda v: f"background-color: {STATUS_COLOURS[v]}" if v in STATUS_COLOURS else "",
                           subset=list(columns))


def age(now: datetime, then: datetime | None) -> str:
    """'8 s', '3 min', '2.5 h' ago; '' for never."""
    if then is None or pd.isna(then):
        return ""
    seconds = max((now - then).total_seconds(), 0.0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def chart_time(values: pd.Series) -> pd.Series:
    """UTC times as naive datetimes: Vega-Lite draws naive times as given, so the axes read UTC like the tables."""
    times = pd.to_datetime(values, utc=True)
    return times.dt.tz_localize(None)


def time_axis(window_s: float, field: str = "time") -> alt.X:
    """A 24-hour clock on the x axis (Vega's default reads 00:30 as 12:30), with the weekday for long windows."""
    label = "%H:%M:%S" if window_s <= 900 else "%H:%M" if window_s <= 12 * 3600 else "%a %H:%M"
    return alt.X(f"{field}:T", title=None, axis=alt.Axis(format=label, labelOverlap=True))


def time_tooltip(field: str = "time") -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=field, format="%Y-%m-%d %H:%M:%S")
