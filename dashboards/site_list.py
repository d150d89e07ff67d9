"""The sites the sidebar offers: those whose nodes reported within the node lookback."""
from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st
from sqlalchemy import select

from edgesight.core.store.models import EventRow

from .overview.queries import NODE_LOOKBACK
from .store_connection import store_engine


@st.cache_data(ttl=60, show_spinner=False)
def known_sites(store_url: str) -> list[str]:
    since = datetime.now(UTC) - NODE_LOOKBACK
    with store_engine(store_url).connect() as conn:
        return sorted(conn.execute(
            select(EventRow.site).distinct().where(EventRow.kind == "node_status", EventRow.capture_time >= since)
        ).scalars())
