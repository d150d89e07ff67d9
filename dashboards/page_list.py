"""The dashboard's pages, in menu order. The app script builds its navigation from this list, and the benchmark and
tests visit the same pages."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    title: str
    script: str  # relative to dashboards/app.py
    url_path: str
    icon: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("Overview", "overview/page.py", "overview", ":material/dashboard:"),
    PageSpec("Latency", "latency/page.py", "latency", ":material/timer:"),
    PageSpec("Traffic", "traffic/page.py", "traffic", ":material/traffic:"),
    PageSpec("Inspection", "inspection/page.py", "inspection", ":material/fact_check:"),
    PageSpec("Events", "events/page.py", "events", ":material/list_alt:"),
)
