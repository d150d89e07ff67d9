"""Every dashboard page under Streamlit's AppTest: on a believable hour of a site (SQLite and PostgreSQL), the key
figures match what the events themselves say; on an empty store and on a store without tables, every page says
"no data yet" instead of failing."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from edgesight.apps.inspection.classes import DEFECT_CLASSES
from edgesight.apps.traffic.evaluate.metrics import RunMetrics
from edgesight.apps.traffic.evaluate.table import ControllerResult, EvaluationTable
from edgesight.core.events import Alarm, LatencyBatch, PartVerdict, SignalState, TrafficFlow
from edgesight.dashboards.dashboard_config import SIM_RESULTS_ENV
from edgesight.dashboards.latency_bins import BIN_UNIT_MS, bin_of, bin_width
from edgesight.dashboards.page_list import PAGES
from edgesight.dashboards.synthetic_site import SECOND_JUNCTION_CAMERA, SECOND_JUNCTION_NODE

from fixtures.dashboard import SiteHour

StartApp = Callable[..., AppTest]


def visit(app: AppTest, title: str) -> AppTest:
    """Run the page with this title and check it rendered without an exception."""
    script = next(page.script for page in PAGES if page.title == title)
    app.switch_page(script).run()
    assert not app.exception, [e.value for e in app.exception]
    assert [t.value for t in app.title] == [title]
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def data_of(site: SiteHour, body: type) -> list:
    return [(e, e.data) for e in site.events if isinstance(e.data, body)]


@pytest.fixture
def app(site_hour: SiteHour, dashboard_app: StartApp) -> AppTest:
    started = dashboard_app(site_hour.url, window=site_hour.window)
    started.run()
    return started


def test_overview_counts_nodes_cameras_and_alarms(app: AppTest, site_hour: SiteHour) -> None:
    shown = metrics(visit(app, "Overview"))
    alarms = Counter(body.alarm for _, body in data_of(site_hour, Alarm))
    assert shown["Nodes online"] == "2 / 3", "the second junction's node said it went offline"
    assert shown["Cameras live"] == "5 / 6", "its camera stopped sending with it"
    assert shown["Deadline misses"] == str(alarms["deadline_miss"])
    assert shown["Safety interventions"] == str(alarms["safety_intervention"] + alarms["conflict_fault"])
    assert shown["Stale measurements"] == str(alarms["stale_measurement"]) != "0"
    assert shown["Events / min"] == f"{len(site_hour.events) / 60:,.0f}"
    warnings = " ".join(w.value for w in app.warning)
    assert SECOND_JUNCTION_NODE in warnings and SECOND_JUNCTION_CAMERA in warnings
    cameras = next(df.value for df in app.dataframe if "fps" in df.value.columns)
    live = cameras[cameras.status == "live"]
    assert live.fps.between(9.0, 16.0).all(), "cameras deliver 10 and 15 frames/s"


def test_latency_percentiles_match_the_frames(app: AppTest, site_hour: SiteHour) -> None:
    shown = metrics(visit(app, "Latency"))
    end_to_end = np.array([f.stages_ms["end_to_end"] for _, body in data_of(site_hour, LatencyBatch)
                           for f in body.frames])
    for p in (50, 95, 99):
        exact = float(np.percentile(end_to_end, p, method="inverted_cdf"))
        # Within half a bin (about 1 % of the value) plus the one-decimal rounding of the display.
        tolerance = bin_width(bin_of(np.array([exact])))[0] * BIN_UNIT_MS / 2 + 0.05
        assert abs(float(shown[f"End to end p{p}"].removesuffix(" ms")) - exact) <= tolerance, p
    assert shown["Frames sampled"] == f"{len(end_to_end):,}"
    per_stage = app.dataframe[0].value
    assert list(per_stage.stage) == ["decode", "queue", "preprocess", "infer", "track", "emit", "end_to_end"]
    assert (per_stage.p50 <= per_stage.p90).all() and (per_stage.p95 <= per_stage.p99).all()
    app.selectbox(key="latency_camera").select("line1").run()
    line_frames = sum(len(body.frames) for e, body in data_of(site_hour, LatencyBatch) if e.source == "line1")
    assert metrics(app)["Frames sampled"] == f"{line_frames:,}"


def test_traffic_lanes_and_signal_timing(app: AppTest, site_hour: SiteHour) -> None:
    shown = metrics(visit(app, "Traffic"))
    lanes = app.dataframe[0].value
    flows = data_of(site_hour, TrafficFlow)
    counted = sum(sum(lane.counts.values()) for _, body in flows for lane in body.lanes)
    assert len(lanes) == 8 and lanes.vehicles.sum() == counted
    states = data_of(site_hour, SignalState)
    assert shown["Plan now"] == states[-1][1].plan_id
    assert 10 <= float(shown["Median cycle"].removesuffix(" s")) <= 130
    assert int(shown["Interventions"]) == sum(1 for e, _ in data_of(site_hour, Alarm) if e.source == "tls-1")
    assert any("No data yet: no simulation results" in i.value for i in app.info)


def test_inspection_yield_pareto_and_rejects(app: AppTest, site_hour: SiteHour) -> None:
    shown = metrics(visit(app, "Inspection"))
    verdicts = Counter(body.verdict for _, body in data_of(site_hour, PartVerdict))
    assert shown["Parts inspected"] == f"{sum(verdicts.values()):,}"
    assert shown["Yield"] == f"{verdicts['pass'] / sum(verdicts.values()):.2%}"
    assert shown["Rejected"] == f"{verdicts['reject']:,}"
    misses = sum(1 for _, body in data_of(site_hour, Alarm) if body.alarm == "deadline_miss")
    assert shown["Missed the diverter"] == str(misses)
    assert shown["Sent to the diverter in time"] == f"{verdicts['reject'] - misses:,}"
    crops = [caption for image in app.image for caption in image.captions]
    assert crops and all(caption.split()[0] in DEFECT_CLASSES for caption in crops), "failed parts show their crops"


def test_events_lists_the_newest_first(app: AppTest, site_hour: SiteHour) -> None:
    visit(app, "Events")
    table = app.dataframe[0].value
    assert len(table) == 200
    newest = max(e.capture_time for e in site_hour.events)
    assert table.time.iloc[0] == f"{newest:%H:%M:%S.%f}"[:-3]
    app.multiselect(key="events_kinds").set_value(["alarm"]).run()
    alarms = app.dataframe[0].value
    assert set(alarms.kind) == {"alarm"} and len(alarms) == len(data_of(site_hour, Alarm))


@pytest.mark.parametrize("title", [page.title for page in PAGES])
def test_empty_store_says_no_data_yet(title: str, empty_store_url: str, dashboard_app: StartApp) -> None:
    app = dashboard_app(empty_store_url)
    app.run()
    visit(app, title)
    assert any(i.value.startswith("No data yet") for i in app.info), [i.value for i in app.info]


def test_store_without_tables_says_no_data_yet(tmp_path, dashboard_app: StartApp) -> None:
    app = dashboard_app(f"sqlite:///{tmp_path / 'never-ingested.sqlite'}")
    app.run()
    for page in PAGES:
        visit(app, page.title)
        assert "edgesight ingest" in " ".join(i.value for i in app.info)


def test_traffic_shows_controller_delay_from_evaluation_tables(site_hour: SiteHour, dashboard_app: StartApp,
                                                               tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    def metrics_of(delay_s: float) -> RunMetrics:
        return RunMetrics(vehicles=900, mean_time_loss_s=delay_s, mean_waiting_s=delay_s * 0.7,
                          throughput_veh_h=1800.0, max_queue_m=60.0, end_time_s=3700.0)

    table = EvaluationTable("balanced", (42, 43), (
        ControllerResult("fixed", {42: metrics_of(41.0), 43: metrics_of(43.0)}),
        ControllerResult("max_pressure (exact counts)", {42: metrics_of(30.5), 43: metrics_of(31.5)}),
    ))
    (tmp_path / "balanced.json").write_text(json.dumps(table.as_json()))
    (tmp_path / "notes.json").write_text("[]")
    monkeypatch.setenv(SIM_RESULTS_ENV, str(tmp_path))
    app = dashboard_app(site_hour.url, window=site_hour.window)
    app.run()
    visit(app, "Traffic")
    delays = app.dataframe[-1].value.set_index("controller")["delay s"]
    assert delays.to_dict() == {"fixed": 42.0, "max_pressure (exact counts)": 31.0}
    assert any("notes.json: not an `edgesight traffic evaluate --json` table" in w.value for w in app.warning)


def test_an_unreachable_store_is_named_not_a_traceback(dashboard_app: StartApp) -> None:
    app = dashboard_app("postgresql+psycopg://edgesight@127.0.0.1:1/edgesight")
    app.run()
    assert not app.exception
    assert "cannot connect" in app.error[0].value and "127.0.0.1:1" in app.error[0].value
