"""The operator dashboard, as `streamlit run` starts it (see `edgesight dashboard`): the shared sidebar, then the
page the operator picked. The first page is the default one, served at the root URL."""
from __future__ import annotations

import streamlit as st

from edgesight.dashboards.dashboard_config import DashboardConfig
from edgesight.dashboards.page_list import PAGES
from edgesight.dashboards.sidebar import render_sidebar
from edgesight.dashboards.site_list import known_sites
from edgesight.dashboards.store_connection import missing_tables, store_engine

st.set_page_config(page_title="EdgeSight", page_icon=":material/visibility:", layout="wide")
config = DashboardConfig.from_env()
try:
    engine = store_engine(config.store_url)
except RuntimeError as unreachable:  # not cached: the next rerun (a refresh, any click) tries again
    st.error(f"{unreachable}", icon=":material/database:")
    st.stop()
schema_ready = not missing_tables(engine)
render_sidebar(known_sites(config.store_url) if schema_ready else [], config.refresh_s)
navigation = st.navigation([st.Page(page.script, title=page.title, icon=page.icon, url_path=page.url_path,
                                    default=index == 0) for index, page in enumerate(PAGES)])
navigation.run()
