"""`edgesight demo`: the whole product on one machine with nothing installed beyond the package.

One process runs every part against one MQTT broker (embedded amqtt on a free local port unless --broker names
one) and one store (a SQLite file in --workdir unless --db names a database):

- traffic: a camera (by default the bundled clip rendered by the traffic simulator's pole camera; --camera for a
  real file or RTSP stream) through the pipeline into the site measurement, with traffic-flow and crossing events;
- inspection: the simulated conveyor line, its camera, verdicts, and the reject controller driving the diverter;
- ingest: every event into the store, once;
- the operator dashboard (Streamlit) on the store.

Ctrl-C (or --seconds) stops the cameras first, lets every publisher hand its events to the broker and the ingest
store them, then stops the rest: nothing that was published is missing from the store.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..core.bus.config import BusConfig, OutboxConfig
from ..core.bus.embedded import EmbeddedBroker
from ..core.bus.publisher import EventPublisher
from ..core.detect import Detector
from ..core.models import bundled_asset, bundled_model
from ..core.sources import SourceError, open_source
from ..core.store.config import StoreConfig
from ..core.store.event_store import EventStore
from ..core.store.ingest import run_ingest
from ..core.telemetry import TelemetryRecorder
from ..dashboards.cli import streamlit_command
from ..dashboards.dashboard_config import DashboardConfig
from .inspection.config import InspectionConfig
from .inspection.line_run import line_detector, run_simulated_line
from .inspection.sim.conveyor import LineSpec
from .traffic.measure.count_totals import CountTotals
from .traffic.measure.run_command import measure
from .traffic.measure.site import SiteConfig
from .traffic.measure.site_measurement import SiteMeasurement
from .traffic.measure.vehicle_classes import VehicleClassFilter

SITE = "demo"
DEMO_CLIP = "demo_intersection.mp4"
PACKAGE_DIR = Path(__file__).resolve().parent
DEMO_SITE = PACKAGE_DIR / "traffic" / "sites" / "sim-south.yaml"
DEMO_LINE = PACKAGE_DIR / "inspection" / "lines" / "sim.yaml"
INGEST_GRACE_S = 2.0  # after the last publisher drained: time for the ingest to store what is in flight


def _serve_broker(port: int) -> None:
    # Ctrl-C reaches the whole process group; the broker must outlive the parts that drain into it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # amqtt logs client sessions that end abruptly (a client reconnecting, one closing at shutdown) as tracebacks
    # on its own loop; clients retry and report real trouble themselves, so the demo's output stays readable.
    for name in ("amqtt", "asyncio", "transitions"):
        logging.getLogger(name).setLevel(logging.CRITICAL)

    async def forever() -> None:
        async with EmbeddedBroker(port):
            await asyncio.Event().wait()

    asyncio.run(forever())


@contextlib.contextmanager
def embedded_broker_process(port: int):
    """The embedded broker (amqtt) in a child process: in the demo's own process it would share the GIL with two
    video pipelines and answer too late for its clients' time-outs. Forked before any thread or event loop
    starts, where the platform allows, so the child does not re-import the application."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    process = multiprocessing.get_context(method).Process(target=_serve_broker, args=(port,), daemon=True,
                                                          name="embedded-broker")
    process.start()
    try:
        deadline = time.monotonic() + 20.0
        while True:  # poll until it listens: it reports nothing else
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"embedded MQTT broker did not start on 127.0.0.1:{port}; pass --broker")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.join(timeout=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DemoRun:
    def __init__(self, workdir: Path, broker: str | None, db: str | None, camera: str | None, site: Path,
                 dashboard_port: int | None, traffic: bool, inspection: bool) -> None:
        self.workdir = workdir
        self.broker = broker
        self.embedded_port = free_port() if broker is None else None
        self.url = broker or f"mqtt://127.0.0.1:{self.embedded_port}"
        self.store = StoreConfig(url=db, sqlite_path=workdir / "edgesight.sqlite")
        self.camera, self.site = camera, site
        self.dashboard_port, self.traffic, self.inspection = dashboard_port, traffic, inspection
        self.stop = asyncio.Event()

    def bus(self, node: str) -> BusConfig:
        # The embedded broker speaks MQTT 3.1.1 only.
        return BusConfig(site_id=SITE, node_id=node, broker_url=self.url, heartbeat_s=10.0,
                         protocol="5" if self.broker else "3.1.1",
                         outbox=OutboxConfig(path=self.workdir / f"{node}-outbox.sqlite"))

    async def run(self, seconds: float | None) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop.set)
        if seconds is not None:
            loop.call_later(seconds, self.stop.set)
        ingest_stop = asyncio.Event()
        ingest = asyncio.create_task(run_ingest(self.bus("ingest"), self.store, name="ingest",
                                                state_path=self.workdir / "ingest-state.sqlite",
                                                stop=ingest_stop, report_every_s=3600))
        with self._dashboard() as url:
            typer.echo(f"EdgeSight demo running (Ctrl-C stops it)\n  dashboard: {url or 'off'}\n"
                       f"  broker:    {self.url}{' (embedded)' if self.broker is None else ''}\n"
                       f"  store:     {self.store.database_url}", err=True)
            parts = [asyncio.create_task(self._traffic(), name="traffic")] if self.traffic else []
            if self.inspection:
                parts.append(asyncio.create_task(self._inspection(), name="inspection"))
            reporter = asyncio.create_task(self._report())
            try:
                for result in await asyncio.gather(*parts, return_exceptions=True):
                    if isinstance(result, BaseException):
                        typer.secho(f"error: {result}", fg=typer.colors.RED, err=True)
            finally:
                reporter.cancel()
                await asyncio.sleep(INGEST_GRACE_S)
                ingest_stop.set()
                report = await ingest
        typer.echo(f"stopped: {report.stored} events stored in {self.store.database_url} "
                   f"({report.duplicates} duplicates dropped, {report.dead_lettered} dead-lettered)", err=True)

    @contextlib.contextmanager
    def _dashboard(self):
        if self.dashboard_port is None:
            yield None
            return
        config = DashboardConfig(store_url=self.store.database_url, refresh_s=5)
        process = subprocess.Popen(streamlit_command(self.dashboard_port, "127.0.0.1"),
                                   env={**os.environ, **config.to_env()},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            yield f"http://127.0.0.1:{self.dashboard_port}"
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)

    async def _traffic(self) -> None:
        site = SiteConfig.load(self.site)
        detector = Detector(bundled_model("traffic_vehicles")).fitted_to(*site.image_size)
        uri = self.camera or str(bundled_asset(DEMO_CLIP))
        video = open_source(uri, source_id=site.name, pace=True, loop=self.camera is None)
        async with EventPublisher(self.bus("edge1-telemetry")) as telemetry_bus:
            telemetry = TelemetryRecorder(telemetry_bus, asyncio.get_running_loop(), "traffic", [video])
            measuring = asyncio.create_task(measure(video, detector, VehicleClassFilter(detector.names),
                                                    SiteMeasurement(site, detector.names), self.bus("edge1"),
                                                    interval_s=10.0, totals=CountTotals(), latency=telemetry))
            await self._until_stopped(measuring, video.close)
            telemetry.flush()
            await telemetry.wait_sent()
            await telemetry_bus.drain(timeout=10.0)

    async def _inspection(self) -> None:
        config = InspectionConfig.load(DEMO_LINE)
        # A slow belt, so the line keeps its deadlines beside the traffic camera on a 2-core box.
        config = config.model_copy(update={"belt": config.belt.model_copy(update={"speed_mps": 0.35})})
        line = LineSpec(rate_hz=1.0, belt_speed_mps=config.belt.speed_mps, diverter_mm=config.belt.diverter_mm,
                        belt_width_mm=config.belt.width_mm, defect_share=0.2, seed=int(time.time()) % 1000)
        detector = line_detector(config, bundled_model("inspection_defects"))
        await run_simulated_line(config, line, detector, self.bus, self.workdir, fps=5.0, stop=self.stop,
                                 telemetry=True)

    async def _until_stopped(self, task: asyncio.Task, halt) -> None:
        stopping = asyncio.create_task(self.stop.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            halt()  # ends the camera: the pipeline finishes its frames and the publisher drains
        stopping.cancel()
        await task

    async def _report(self) -> None:
        while True:
            await asyncio.sleep(15.0)
            store = await asyncio.to_thread(EventStore.open, self.store, migrate=False)
            try:
                counts = {k: await asyncio.to_thread(store.count, k) for k in ("traffic_flow", "crossing",
                                                                             "part_verdict", "alarm")}
            finally:
                store.close()
            typer.echo("stored: " + ", ".join(f"{v} {k}" for k, v in counts.items()), err=True)


def demo(
    seconds: Annotated[Optional[float], typer.Option(help="stop after this many seconds (default: Ctrl-C)")] = None,
    broker: Annotated[Optional[str], typer.Option(help="mqtt://host:port of a running broker (default: embedded)")]
    = None,
    db: Annotated[Optional[str], typer.Option(help="database URL, e.g. postgresql+psycopg://user@host/edgesight "
                                              "(default: SQLite in --workdir)")] = None,
    camera: Annotated[Optional[str], typer.Option(help="traffic camera: video file or rtsp:// URL instead of the "
                                                  "bundled clip (give its --site)")] = None,
    site: Annotated[Path, typer.Option(help="site config of the traffic camera")] = DEMO_SITE,
    port: Annotated[int, typer.Option(help="dashboard port")] = 8501,
    dashboard: Annotated[bool, typer.Option("--dashboard/--no-dashboard", help="start the dashboard")] = True,
    traffic: Annotated[bool, typer.Option("--traffic/--no-traffic", help="run the traffic camera")] = True,
    inspection: Annotated[bool, typer.Option("--inspection/--no-inspection", help="run the conveyor line")] = True,
    workdir: Annotated[Path, typer.Option(help="where the store, outboxes and state files go")]
    = Path("edgesight-demo"),
) -> None:
    """Run the whole product on this machine: traffic camera, conveyor line with its reject controller, embedded
    broker, ingest into SQLite and the dashboard; prints the dashboard URL. Ctrl-C stops every part cleanly."""
    workdir.mkdir(parents=True, exist_ok=True)
    run = DemoRun(workdir, broker, db, camera, site, port if dashboard else None, traffic, inspection)
    try:
        with embedded_broker_process(run.embedded_port) if broker is None else contextlib.nullcontext():
            asyncio.run(run.run(seconds))
    except (SourceError, ValueError, FileNotFoundError, RuntimeError) as exc:
        typer.secho(f"error: {str(exc).splitlines()[0]}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
