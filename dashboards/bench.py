"""`edgesight bench dashboard`: how long each dashboard page takes with a large store (register `bench_dashboard` as
the `dashboard` command of the bench app).

It fills a store with the synthetic site (dashboards/synthetic_site.py: every event kind, from the real schemas)
through EventStore.write, as the ingest job writes (raw rows and the latency roll-up), until it holds `--events`
events ending now; a store that already holds them is reused (one filled before the roll-up existed gets it from
its raw samples when it is migrated on opening). Then each page runs under Streamlit's AppTest (the whole page
script: queries, percentiles, chart specs; not the browser's drawing) over the newest `--window` of the store: once
cold, then `--repeat` more times. SQL time is the time spent in database calls during the page run; CPU time is
what this process spent (SQLite runs in it; a PostgreSQL server's share is not counted), which a busy machine does
not inflate the way it inflates wall-clock time.
"""
from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import asdict, dataclass
from itertools import islice
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url

from edgesight.core.store.config import StoreConfig
from edgesight.core.store.event_store import EventStore
from edgesight.core.store.models import EventRow, LatencyRollupRow, LatencySampleRow

from .dashboard_config import STORE_URL_ENV
from .page_list import PAGES
from .synthetic_site import offset_for_local_hour, site_events, write_events
from .time_window import PRESETS

APP_SCRIPT = Path(__file__).parent / "app.py"
DEFAULT_STORE = Path("runs/bench/dashboard.sqlite")
# Events the synthetic site produces per hour, a little below its daily average (14,460 with 10 latency frames
# per batch), so that an empty store ends up with at least the events asked for.
SITE_EVENTS_PER_HOUR = 14_000
WRITE_BATCH = 5000


@dataclass(frozen=True)
class PageTiming:
    page: str
    first_s: float  # the first run: cold caches
    median_s: float
    max_s: float
    cpu_median_s: float
    sql_median_s: float
    queries: int


class SqlClock:
    """Time spent in database calls, summed over every engine of the process."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0
        self._started: dict[int, float] = {}
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, *_: Any) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, *_: Any) -> None:
        self.seconds += time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        self.queries += 1

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._before)
        event.remove(Engine, "after_cursor_execute", self._after)


def fill_store(url: str, events: int, progress: bool = True) -> tuple[int, float]:
    """Make the store hold at least `events` events ending now; returns (events now stored, seconds spent
    writing). An empty store gets the site's last `events / SITE_EVENTS_PER_HOUR` hours; a store this benchmark
    filled before is topped up with the site from its newest event to now (the nodes restart there)."""
    store = EventStore.open(StoreConfig(url=url))
    try:
        held = store.count()
        if held >= events:
            return held, 0.0
        end = datetime.now(UTC)
        with store.engine.connect() as conn:
            newest = conn.execute(select(func.max(EventRow.capture_time))).scalar_one()
        start = newest if newest is not None else end - timedelta(hours=events / SITE_EVENTS_PER_HOUR)
        started = time.perf_counter()
        generated = site_events(start, end, seed=7 + held, utc_offset=offset_for_local_hour(end, 18.0))
        written = held
        while chunk := list(islice(generated, 100_000)):
            written += write_events(store, chunk, WRITE_BATCH)
            if progress:
                typer.echo(f"  {written:,} events stored ({time.perf_counter() - started:.0f} s)", err=True)
        if written < events:
            raise typer.BadParameter(f"the store holds {written:,} events, still fewer than --events {events:,}: "
                                     "its newest event is too recent to top it up; give an empty store")
        return written, time.perf_counter() - started
    finally:
        store.close()


def time_pages(url: str, window: timedelta, repeat: int) -> list[PageTiming]:
    """Each page over the newest `window` of the store."""
    from streamlit.testing.v1 import AppTest

    store = EventStore.open(StoreConfig(url=url), migrate=False)
    with store.engine.connect() as conn:
        newest = conn.execute(select(func.max(EventRow.capture_time))).scalar_one()
    store.close()
    clock = SqlClock()
    timings = []
    try:
        os.environ[STORE_URL_ENV] = url
        app = AppTest.from_file(str(APP_SCRIPT), default_timeout=600)
        app.session_state["refresh_s"] = 0
        app.session_state["window_preset"] = "Custom range"
        app.session_state["window_from"] = (newest - window).replace(tzinfo=None)
        app.session_state["window_to"] = newest.replace(tzinfo=None)
        app.run()
        for page in PAGES:
            runs, cpu, sql = [], [], []
            for _ in range(repeat + 1):
                clock.seconds, clock.queries = 0.0, 0
                started, started_cpu = time.perf_counter(), time.process_time()
                app.switch_page(page.script).run()
                runs.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                sql.append(clock.seconds)
                if app.exception:
                    raise RuntimeError(f"page {page.title} failed: {app.exception[0].value}")
            timings.append(PageTiming(page.title, runs[0], statistics.median(runs[1:]), max(runs[1:]),
                                      statistics.median(cpu[1:]), statistics.median(sql[1:]), clock.queries))
    finally:
        clock.close()
    return timings


def store_size(url: str) -> dict[str, int]:
    store = EventStore.open(StoreConfig(url=url), migrate=False)
    try:
        with store.engine.connect() as conn:
            samples = conn.execute(select(func.count()).select_from(LatencySampleRow)).scalar_one()
            rollup_rows = conn.execute(select(func.count()).select_from(LatencyRollupRow)).scalar_one()
        return {"events": store.count(), "latency_samples": samples, "latency_rollup_rows": rollup_rows}
    finally:
        store.close()


def bench_dashboard(
    db: str = typer.Option(None, "--db", help=f"Store to fill and time (default: SQLite file {DEFAULT_STORE})"),
    events: int = typer.Option(1_000_000, help="Events the store must hold; an empty store is filled first"),
    window: str = typer.Option("Last hour", help=f"Window each page shows: {', '.join(PRESETS)}"),
    repeat: int = typer.Option(5, help="Timed runs per page after the first (cold) one"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON"),
) -> None:
    """Fill a store with about --events events of a whole site, then time every dashboard page on it."""
    if window not in PRESETS:
        raise typer.BadParameter(f"--window {window!r}: choose one of {', '.join(PRESETS)}")
    if repeat < 1 or events < 1:
        raise typer.BadParameter("--repeat and --events must be at least 1")
    if db is None:
        DEFAULT_STORE.parent.mkdir(parents=True, exist_ok=True)
        db = f"sqlite:///{DEFAULT_STORE}"
    shown_url = make_url(db).render_as_string(hide_password=True)
    typer.echo(f"store {shown_url}: filling to {events:,} events if needed", err=True)
    _, fill_s = fill_store(db, events)
    size = store_size(db)
    typer.echo(f"store holds {size['events']:,} events, {size['latency_samples']:,} latency samples, "
               f"{size['latency_rollup_rows']:,} latency roll-up rows"
               + (f" (written in {fill_s:.0f} s)" if fill_s else ""), err=True)
    timings = time_pages(db, PRESETS[window], repeat)
    if as_json:
        typer.echo(json.dumps({"store": shown_url, **size, "fill_s": round(fill_s, 1), "window": window,
                               "repeat": repeat, "pages": [asdict(t) for t in timings]}, indent=2))
        return
    typer.echo(f"{'page':<12}{'first s':>9}{'median s':>10}{'max s':>8}{'CPU s':>8}{'SQL s':>8}{'queries':>9}")
    for t in timings:
        typer.echo(f"{t.page:<12}{t.first_s:>9.3f}{t.median_s:>10.3f}{t.max_s:>8.3f}{t.cpu_median_s:>8.3f}"
                   f"{t.sql_median_s:>8.3f}{t.queries:>9}")
    typer.echo(f"window: newest {window.lower().removeprefix('last ')} of the store; median and max over {repeat} "
               f"runs after the first; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.")


if __name__ == "__main__":
    typer.run(bench_dashboard)
