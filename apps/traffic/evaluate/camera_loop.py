"""The full closed loop: SUMO -> one rendered camera per approach -> detection pipeline -> site measurement ->
traffic-flow events over MQTT (QoS 1, outbox) -> controller service -> signal states into SUMO, with the
conflict monitor watching what SUMO shows. The controller never reads SUMO's state: all it knows is what the
cameras measured.

SUMO steps once a second, as in the reference runs, and the controller decides once a second; the cameras
take a frame every 1/fps seconds (every 2 s by default: max-pressure on exact counts does as well measured every
2 s as every second), in lockstep with the controller (see lockstep.py). An hour of traffic costs
3600 x fps x cameras rendered and detected frames.
"""
from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from edgesight.core.bus.config import BusConfig, OutboxConfig
from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.embedded import broker_for
from edgesight.core.bus.mosquitto import MosquittoProcess, free_port
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.detect import Detector
from edgesight.core.frame import Frame
from edgesight.core.pipeline import Pipeline
from edgesight.core.track import TrackerConfig

from edgesight.apps.traffic.control.assembly import assemble_controller, program_monitor
from edgesight.apps.traffic.control.flow_events import FlowEventReader
from edgesight.apps.traffic.control.service import ControllerService
from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.timings import SafetyTimings
from edgesight.apps.traffic.control.traci_adapter import TraciSignalAdapter
from edgesight.apps.traffic.evaluate.lockstep import LockstepTicker
from edgesight.apps.traffic.evaluate.metrics import RunMetrics, output_args
from edgesight.apps.traffic.measure.event_publisher import MeasurementPublisher
from edgesight.apps.traffic.measure.site import SiteConfig
from edgesight.apps.traffic.measure.site_measurement import SiteMeasurement
from edgesight.apps.traffic.measure.sink import CameraMeasurement, TrafficSink
from edgesight.apps.traffic.measure.stacked_views import SplitViews, StackedViews
from edgesight.apps.traffic.measure.vehicle_classes import VehicleClassFilter
from edgesight.apps.traffic.sim.camera import PoleCamera
from edgesight.apps.traffic.sim.camera_rig import SimulatedCameras
from edgesight.apps.traffic.sim.camera_site import site_config_for
from edgesight.apps.traffic.sim.cameras import approach_camera
from edgesight.apps.traffic.sim.intersection import ARMS
from edgesight.apps.traffic.sim.render_layout import IntersectionLayout
from edgesight.apps.traffic.sim.run import SumoRun
from edgesight.apps.traffic.sim.scenario import Scenario

CONTROLLER_ID = "ctl1"
BUS_SITE = "sim"
LANE_REACH_M = 100.0  # what the controller weighs: the first ~90 m before each stop line
STEP_S = 1.0  # SUMO's step and the controller's decision interval, as in the reference runs
STACKED_PAIRS = (("north", "south"), ("east", "west"))  # views that share one detector call


@dataclass(frozen=True)
class CameraLoopSettings:
    model: Path
    fps: float = 0.5
    resolution: tuple[int, int] = (640, 320)  # two 2:1 views fill the detector's 640x640 input (stacked_views.py)
    threads: int = 0  # ONNX Runtime threads; 0: all cores
    broker_url: str | None = None  # default: a private Mosquitto (the embedded broker where none is installed)
    until_s: float | None = None  # stop the simulation here (a short run); default: when the network is empty

    def __post_init__(self) -> None:
        steps = self.period_s / STEP_S if self.fps > 0 else 0.0
        if steps < 1 - 1e-6 or abs(steps - round(steps)) > 1e-6:
            raise ValueError(f"camera fps {self.fps:g}: its frame period must be a whole number of {STEP_S:g} s "
                             f"simulation steps (1, 0.5, 0.333...)")

    @property
    def period_s(self) -> float:
        return 1.0 / self.fps

    @property
    def frame_every(self) -> int:
        """Simulation steps per camera frame."""
        return int(round(self.period_s / STEP_S))

    def describe(self) -> str:
        return (f"{len(ARMS)} approach cameras at {self.fps:g} fps, {self.resolution[0]}x{self.resolution[1]}, "
                f"stacked in pairs into {self.resolution[0]}x{2 * self.resolution[1]} detector inputs, {self.model.name}")


@dataclass
class CameraLoopResult:
    metrics: RunMetrics
    latency_s: list[float] = field(default_factory=list)  # per camera frame: capture -> decision step done
    frames: int = 0  # camera frames, every view counted
    wall_s: float = 0.0
    late_ticks: int = 0  # ticks taken without every camera's event (timed out)


def loop_site(camera: PoleCamera, name: str) -> SiteConfig:
    """The approach camera's site. At a frame every second or two a moving car jumps many metres between
    frames: tracks are confirmed at once and kept through two missed frames, and speed (for queues) is taken
    over two frame intervals. A new track is never linked by distance (`new_track_reach`): a car moves many of
    its own lengths between such frames, so the nearest new box is as likely another car."""
    site = site_config_for(camera, IntersectionLayout(), name, lane_reach_m=LANE_REACH_M)
    period = 1.0 / camera.fps
    tracker = TrackerConfig(confirm_frames=1, lost_track_seconds=max(2.0 * period, 1.0), new_track_reach=0.0)
    return SiteConfig.model_validate({**site, "tracker": tracker.model_dump(), "speed_window_s": 2.0 * period})


def mosquitto_installed() -> bool:
    return shutil.which("mosquitto") is not None or Path("/usr/sbin/mosquitto").exists()


def simulated_capture_time(frame: Frame) -> float:
    """Events carry the simulation clock: the controller's clock in a simulation is SUMO's."""
    return float(frame.media_ts)


def run_camera_closed_loop(scenario: Scenario, algorithm: str, seed: int, settings: CameraLoopSettings,
                           timings: SafetyTimings = SafetyTimings()) -> CameraLoopResult:
    """Run `algorithm` on `scenario` with the cameras in the loop; score it with SUMO's outputs."""
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="edgesight-camera-loop-")))
        url = settings.broker_url
        if url is None and mosquitto_installed():
            url = stack.enter_context(MosquittoProcess(folder / "mosquitto")).url
        return asyncio.run(_closed_loop(scenario, algorithm, seed, settings, timings, folder, url))


def _bus(folder: Path, node: str, url: str | None, embedded_port: int) -> BusConfig:
    return BusConfig(site_id=BUS_SITE, node_id=node, broker_url=url, embedded_port=embedded_port,
                     outbox=OutboxConfig(path=folder / f"{node}-outbox.sqlite"))


async def _closed_loop(scenario: Scenario, algorithm: str, seed: int, settings: CameraLoopSettings,
                       timings: SafetyTimings, folder: Path, url: str | None) -> CameraLoopResult:
    loop = asyncio.get_running_loop()
    layout = SignalLayout.from_sumo_net(scenario.net_file)
    detector = Detector(settings.model, threads=settings.threads)
    vehicles = VehicleClassFilter(detector.names)
    port = free_port()
    started = time.monotonic()
    with SumoRun(scenario, seed=seed, step_length=STEP_S, extra_args=output_args(folder)) as run:
        cameras = {f"approach-{arm}": approach_camera(arm, settings.resolution, settings.fps) for arm in ARMS}
        rig = SimulatedCameras(cameras, seed=seed)
        ticker = LockstepTicker(run, rig, frame_every=settings.frame_every, until_s=settings.until_s)
        adapter = TraciSignalAdapter(run.api, layout)
        lanes = [lane for group in layout.groups for lane in group.lanes]
        controller = assemble_controller(layout, adapter, algorithm, timings,
                                         {lane: run.api.lane.getLength(lane) for lane in lanes}, start_time=run.time)
        sites = {name: loop_site(camera, name) for name, camera in cameras.items()}
        lane_map = {f"{name}/{lane.name}": lane.name for name, site in sites.items() for lane in site.lanes
                    if lane.name in lanes}
        async with (
            broker_for(_bus(folder, "cams", url, port)),
            EventPublisher(_bus(folder, "cams", url, port)) as camera_bus,
            EventPublisher(_bus(folder, "ctl", url, port)) as controller_bus,
            EventConsumer(_bus(folder, "ctl", url, port), name=CONTROLLER_ID, state_path=folder / "ctl-dedup.sqlite",
                          batch_wait_s=0.005) as consumer,
        ):
            events = MeasurementPublisher(camera_bus, loop, settings.period_s, capture_time=simulated_capture_time)
            sink = TrafficSink({name: CameraMeasurement(SiteMeasurement(site, detector.names), vehicles, settings.fps)
                                for name, site in sites.items()}, settings.period_s,
                               on_crossing=events.crossing, on_report=events.report)
            views = {view.source_id: view for view in rig.views}
            stacks = [StackedViews([views[f"approach-{a}"], views[f"approach-{b}"]]) for a, b in STACKED_PAIRS]
            pipeline = Pipeline(stacks, detector, [SplitViews(sink, stacks)], track=False, queue_capacity=2)
            service = ControllerService(controller, ticker.watch(FlowEventReader(lane_map)), controller_bus,
                                        source=CONTROLLER_ID)
            monitor = program_monitor(layout, adapter, timings, on_fault=service.on_fault)
            measuring = loop.run_in_executor(None, pipeline.run)
            try:
                await service.run(consumer, ticker, monitor=monitor, until=lambda: ticker.finished)
            finally:
                rig.close()
                stats = await measuring
                await events.queued()
            await controller_bus.drain(timeout=10.0)
        if stats.errors:
            raise RuntimeError(f"camera pipeline on {scenario.name}: {'; '.join(stats.errors)}")
        if monitor.latched:
            raise RuntimeError(f"conflict monitor tripped during {algorithm} on {scenario.name}: {monitor.fault}")
    return CameraLoopResult(
        metrics=RunMetrics.from_outputs(folder),
        latency_s=ticker.latency_s(),
        frames=sum(len(view.captured) for view in rig.views), wall_s=time.monotonic() - started,
        late_ticks=ticker.late_ticks)
