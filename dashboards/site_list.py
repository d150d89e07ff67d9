"""The sites the sidebar offers: those of the nodes that have reported their status."""
from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from .node_reports import node_reports
from .store_connection import store_engine


@st.cache_data(ttl=60, show_spinner=False)
def known_sites(store_url: str) -> list[str]:
    with store_engine(store_url).connect() as conn:
        return sorted(node_reports(conn, datetime.now(UTC), None).site.unique())
