"""The controls every page shares (time window, auto-refresh, site), drawn once in the sidebar by the app script and
read back by each page from the session state. They are bound to the URL's query parameters, so a link (or a
bookmark) opens the same window, site and refresh, e.g. ?window_preset=Custom+range&window_from=...&window_to=..."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import streamlit as st

from .time_window import DEFAULT_PRESET, PRESETS, TimeWindow

CUSTOM = "Custom range"
REFRESH_CHOICES: dict[int, str] = {0: "Off", 5: "Every 5 s", 10: "Every 10 s", 30: "Every 30 s", 60: "Every minute"}
ALL_SITES = "All sites"
_PRESET, _FROM, _TO, _REFRESH, _SITE = "window_preset", "window_from", "window_to", "refresh_s", "site"


@dataclass(frozen=True)
class ViewSettings:
    preset: str
    custom_from: datetime | None  # naive UTC, as the datetime inputs give it
    custom_to: datetime | None
    refresh_s: int
    site: str | None  # None: every site

    def window(self, now: datetime) -> TimeWindow:
        """A preset window ends now (and slides with each refresh); a custom one is fixed."""
        if self.preset == CUSTOM and self.custom_from and self.custom_to and self.custom_from < self.custom_to:
            return TimeWindow(self.custom_from.replace(tzinfo=UTC), self.custom_to.replace(tzinfo=UTC))
        return TimeWindow.last(PRESETS.get(self.preset, PRESETS[DEFAULT_PRESET]), now)


def render_sidebar(sites: list[str], default_refresh_s: int) -> None:
    with st.sidebar:
        st.selectbox("Time window", [*PRESETS, CUSTOM], index=list(PRESETS).index(DEFAULT_PRESET), key=_PRESET,
                     bind="query-params")
        if st.session_state[_PRESET] == CUSTOM:
            now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
            st.datetime_input("From (UTC)", now - timedelta(hours=1), key=_FROM, step=timedelta(minutes=1),
                              bind="query-params")
            st.datetime_input("To (UTC)", now, key=_TO, step=timedelta(minutes=1), bind="query-params")
            if st.session_state[_FROM] and st.session_state[_TO] and st.session_state[_FROM] >= st.session_state[_TO]:
                st.error(f"'From' is not before 'To': showing the {DEFAULT_PRESET.lower()} instead.")
        refresh_options = list(REFRESH_CHOICES)
        default_refresh = refresh_options.index(default_refresh_s) if default_refresh_s in REFRESH_CHOICES else 0
        st.selectbox("Auto-refresh", refresh_options, index=default_refresh, format_func=REFRESH_CHOICES.__getitem__,
                     key=_REFRESH, bind="query-params")
        st.selectbox("Site", [ALL_SITES, *sites], key=_SITE, bind="query-params")
        st.caption("Times are UTC.")


def current_view() -> ViewSettings:
    state = st.session_state
    site = state.get(_SITE, ALL_SITES)
    return ViewSettings(preset=state.get(_PRESET, DEFAULT_PRESET), custom_from=state.get(_FROM),
                        custom_to=state.get(_TO), refresh_s=int(state.get(_REFRESH, 0)),
                        site=None if site == ALL_SITES else site)
