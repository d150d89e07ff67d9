"""The dashboard's one engine per store URL, shared by every session and rerun of the Streamlit process."""
from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine, inspect

from edgesight.core.store.config import StoreConfig
from edgesight.core.store.event_store import EventStore
from edgesight.core.store.models import Base


@st.cache_resource(show_spinner=False)
def store_engine(url: str) -> Engine:
    """Opened like the ingest job opens it (SQLite in WAL mode, so reads never block its writes), but never
    migrated: the dashboard only reads, and the ingest job owns the schema."""
    return EventStore.open(StoreConfig(url=url), migrate=False).engine


def missing_tables(engine: Engine) -> list[str]:
    """Store tables that do not exist yet (a store the ingest job has never opened)."""
    existing = set(inspect(engine).get_table_names())
    return sorted(set(Base.metadata.tables) - existing)
