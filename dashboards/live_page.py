"""The frame of every page: title, a store check, and the page body as a fragment that Streamlit reruns at the
chosen refresh interval (only the body reruns, so the sidebar and the page's own widgets keep their state)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from .dashboard_config import DashboardConfig
from .sidebar import current_view
from .store_connection import missing_tables, store_engine
from .time_window import TimeWindow


@dataclass(frozen=True)
class PageContext:
    window: TimeWindow
    site: str | None
    config: DashboardConfig


PageBody = Callable[[Connection, PageContext], None]


def live_page(title: str, body: PageBody) -> None:
    st.title(title)
    config = DashboardConfig.from_env()
    engine = store_engine(config.store_url)
    if missing := missing_tables(engine):
        no_data_yet(f"the store has no {', '.join(missing)} table(s). Start `edgesight ingest` on it: it creates "
                    "them and writes every event the site publishes.")
        return
    view = current_view()

    @st.fragment(run_every=view.refresh_s or None)
    def refreshing_body() -> None:
        started = time.perf_counter()
        now = datetime.now(UTC)
        context = PageContext(view.window(now), view.site, config)
        try:
            with engine.connect() as conn:
                body(conn, context)
        except OperationalError as lost:  # e.g. PostgreSQL restarting: say so, and the next refresh tries again
            st.error(f"The store stopped answering ({str(lost.orig or lost).strip().splitlines()[0]}); showing nothing "
                     "until it does.", icon=":material/database:")
            return
        st.caption(f"{context.window.describe()} · {view.site or 'all sites'} · updated {now:%H:%M:%S} UTC in "
                   f"{time.perf_counter() - started:.2f} s")

    refreshing_body()


def no_data_yet(what: str) -> None:
    """What a section shows instead of a chart when its window holds nothing."""
    st.info(f"No data yet: {what}", icon=":material/hourglass_empty:")
