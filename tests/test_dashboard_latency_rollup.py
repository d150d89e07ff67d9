"""The Latency page reads whole minutes and hours from the store's latency roll-up and only the ends of a window from
raw samples: the spans cover the window exactly, the queries give the counts that binning every raw sample gives
(on SQLite and PostgreSQL), and the page shows the same figures with the raw samples gone."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete
from streamlit.testing.v1 import AppTest

from edgesight.core.events import Envelope, EventBody
from edgesight.core.store.config import StoreConfig
from edgesight.core.store.event_store import EventStore
from edgesight.core.store.latency_rollup import ROLLUP_PERIODS_S
from edgesight.core.store.models import LatencySampleRow
from edgesight.dashboards.latency.queries import stage_bins, stage_series_bins
from edgesight.dashboards.latency.window_cover import Span, cover
from edgesight.dashboards.latency_bins import bin_of
from edgesight.dashboards.page_list import PAGES
from edgesight.dashboards.synthetic_site import write_events
from edgesight.dashboards.time_window import TimeWindow

from fixtures.dashboard import latency_history

T0 = datetime(2026, 5, 1, 9, 57, 41, tzinfo=UTC)
T1 = T0 + timedelta(hours=3, minutes=9)
CAMERAS = ["cam-a", "cam-b"]
WINDOWS = [
    # Odd seconds at both ends, every period length in between; 120 s buckets (minutes).
    TimeWindow(T0 + timedelta(minutes=4, seconds=13), T1 - timedelta(minutes=2, seconds=51)),
    # Whole hours only.
    TimeWindow(datetime(2026, 5, 1, 10, tzinfo=UTC), datetime(2026, 5, 1, 13, tzinfo=UTC)),
    # Inside one hour, 300 s buckets (minutes and five minutes).
    TimeWindow(datetime(2026, 5, 1, 11, 2, 30, tzinfo=UTC), datetime(2026, 5, 1, 11, 58, 15, tzinfo=UTC), 300),
    # An hour across an hour boundary: 30 s buckets, so its time series is all raw samples.
    TimeWindow(datetime(2026, 5, 1, 10, 20, 5, tzinfo=UTC), datetime(2026, 5, 1, 11, 20, 5, tzinfo=UTC)),
]


@pytest.mark.parametrize("window", WINDOWS)
def test_spans_cover_the_window_with_whole_periods(window: TimeWindow) -> None:
    spans = cover(window.start, window.end, ROLLUP_PERIODS_S)
    assert spans[0].start == window.start and spans[-1].end == window.end
    assert all(a.end == b.start for a, b in zip(spans, spans[1:]))
    for span in spans:
        if span.period_s is None:
            assert span.end - span.start < timedelta(minutes=1), "only the window's ends are read raw"
        else:
            assert span.start_s % span.period_s == 0 and span.end_s % span.period_s == 0
    assert cover(window.start, window.end, []) == [Span(window.start, window.end, None)]


def test_a_day_is_mostly_hours() -> None:
    start = datetime(2026, 5, 1, 8, 13, 40, tzinfo=UTC)
    spans = cover(start, start + timedelta(hours=24), ROLLUP_PERIODS_S)
    assert [s.period_s for s in spans] == [None, 60, 300, 3600, 300, 60, None]
    assert [s.start.strftime("%H:%M:%S") for s in spans] == [
        "08:13:40", "08:14:00", "08:15:00", "09:00:00", "08:00:00", "08:10:00", "08:13:00"]


def binned_events(events: list[Envelope[EventBody]], window: TimeWindow,
                  key: Callable[[Envelope[EventBody], str], tuple | None]) -> Counter[tuple]:
    """The raw samples in the window, binned in numpy and counted per key + (bin,); a key of None leaves the
    sample out."""
    inside = [e for e in events if window.start <= e.capture_time < window.end]
    samples = [(key(e, stage), ms) for e in inside for f in e.data.frames for stage, ms in f.stages_ms.items()
               if key(e, stage) is not None]
    bins = bin_of(np.array([ms for _, ms in samples]))
    return Counter((*k, int(b)) for (k, _), b in zip(samples, bins, strict=True))


def counted(rows: pd.DataFrame, keys: list[str]) -> Counter[tuple]:
    """A query's rows by key and bin: one row each, the spans' counts added up in SQL."""
    assert not rows.duplicated([*keys, "bin"]).any()
    return Counter({(*row[:-1],): int(row[-1]) for row in rows[[*keys, "bin", "samples"]].itertuples(index=False)})


@pytest.fixture
def history(store_config: StoreConfig) -> Iterator[tuple[EventStore, list[Envelope[EventBody]]]]:
    events = latency_history(T0, T1, every_s=30)
    store = EventStore.open(store_config)
    write_events(store, events, batch_size=500)
    yield store, events
    store.close()


def test_queries_give_the_raw_samples_counts(history: tuple[EventStore, list[Envelope[EventBody]]]) -> None:
    store, events = history
    with store.engine.connect() as conn:
        for window in WINDOWS:
            got = counted(stage_bins(conn, window, CAMERAS), ["camera", "stage"])
            assert got == binned_events(events, window, lambda e, stage: (e.source, stage)), window
            series = stage_series_bins(conn, window, CAMERAS, "end_to_end")
            assert counted(series, ["bucket"]) == binned_events(events, window, lambda e, stage: (
                (int(e.capture_time.timestamp()) // window.bucket_s * window.bucket_s,) if stage == "end_to_end"
                else None)), window


def test_latency_page_renders_from_the_rollup(tmp_path, dashboard_app: Callable[..., AppTest]) -> None:
    url = f"sqlite:///{tmp_path / 'rollup.sqlite'}"
    store = EventStore.open(StoreConfig(url=url))
    write_events(store, latency_history(T0, T1))
    window = TimeWindow(datetime(2026, 5, 1, 9, 58, tzinfo=UTC), datetime(2026, 5, 1, 13, 6, tzinfo=UTC))
    script = next(page.script for page in PAGES if page.title == "Latency")

    def shown() -> tuple[dict[str, str], pd.DataFrame]:
        app = dashboard_app(url, window=window)
        app.run()
        app.switch_page(script).run()
        assert not app.exception, [e.value for e in app.exception]
        assert not [i.value for i in app.info if i.value.startswith("No data yet")], "the time series is drawn too"
        return {m.label: m.value for m in app.metric}, app.dataframe[0].value

    with_raw = shown()
    with store.engine.begin() as conn:  # a window of whole minutes: the roll-up alone must give every figure
        conn.execute(delete(LatencySampleRow))
    store.close()
    without_raw = shown()
    assert with_raw[0] == without_raw[0] and with_raw[0]["Frames sampled"] != "0"
    pd.testing.assert_frame_equal(with_raw[1], without_raw[1])
