"""The simulated line running end to end: simulator -> camera -> detection -> part tracking and verdicts -> MQTT
(QoS 1, durable outbox) -> reject controller -> the simulator's diverter.

`run_simulated_line` runs for a fixed time (the evaluation scores the result against ground truth) or until a
stop event is set (the demo). Telemetry (per-stage latency and the camera's health) goes onto the bus too when
asked for, so the dashboard shows the line beside the traffic cameras.
"""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Coroutine
from typing import Any, Callable, Literal

from edgesight.core.bus.config import BusConfig
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.detect import Detector
from edgesight.core.metrics import LatencyRecorder
from edgesight.core.pipeline import Pipeline, PipelineStats
from edgesight.core.telemetry import TelemetryRecorder

from .config import InspectionConfig
from .controller_service import ControllerService
from .diverter_link import DiverterCommandListener, MqttDiverterActuator, with_transport_lead
from .part_tracker import PartTracker
from .sim.clock import LineClock
from .sim.conveyor import MAX_PART_EXTENT_MM, ConveyorSimulator, LineSpec
from .sim.conveyor_camera import ConveyorCamera
from .sim.diverter import SimulatedDiverter
from .sim.line_source import SimulatedLineSource
from .sink import InspectionSink
from .verdict import PartResult, VerdictAggregator
from .verdict_publisher import APP, VerdictPublisher


@dataclass
class LineRun:
    simulator: ConveyorSimulator
    diverter: SimulatedDiverter
    service: ControllerService
    stats: PipelineStats
    latency: LatencyRecorder
    listener: DiverterCommandListener | None  # the line side of the MQTT diverter route, when it was used


def line_detector(config: InspectionConfig, model: Path, threads: int = 0, conf: float | None = None) -> Detector:
    """Boxes down to the lowest confidence any verdict rule counts (a repeat rule's included), or `conf`; weaker
    ones never count, and part boxes are judged at tracking.part_confidence, far above. The model's input takes
    the camera's shape: a 640x480 camera in a 640x640 input would spend a quarter of each frame's work on padding."""
    detector = Detector(model, conf=config.verdict.lowest_confidence if conf is None else conf, threads=threads,
                        mirrored=config.detection.mirrored_view)
    return detector.fitted_to(config.camera.width, config.camera.height)


async def run_simulated_line(config: InspectionConfig, line: LineSpec, detector: Detector,
                             bus: Callable[[str], BusConfig], state_dir: Path, *, fps: float, seed: int = 0,
                             seconds: float | None = None, stop: asyncio.Event | None = None,
                             telemetry: bool = False, diverter_route: Literal["direct", "mqtt"] = "direct") -> LineRun:
    """`bus(node)` gives the bus settings of one node (the camera box and the reject controller are two, the line's
    diverter a third on the "mqtt" route). `diverter_route`: the controller calls the simulator's paddle itself
    ("direct"), or sends diverter commands over the broker to a listener that drives the paddle ("mqtt"), as a
    controller running apart from the line does."""
    if diverter_route == "mqtt":
        config = with_transport_lead(config)
    simulator = ConveyorSimulator(line)
    camera = ConveyorCamera(simulator, config.camera.width, config.camera.height, config.camera.px_per_mm, seed=seed)
    # Shutter 0 fires two seconds from now: the controller and the publisher connect first.
    clock = LineClock.starting_in(2.0)
    diverter = SimulatedDiverter(simulator, clock)
    async with contextlib.AsyncExitStack() as route:
        listener = None
        actuator = diverter
        if diverter_route == "mqtt":
            listener = DiverterCommandListener(bus("diverter1"), config.line_id, diverter)
            await _start(route, listener.run(), listener.ready)
            actuator = await route.enter_async_context(MqttDiverterActuator(bus("reject1"), config.line_id))
        service = ControllerService(config, bus("reject1"), actuator, state_path=state_dir / "controller-dedup.sqlite")
        await _start(route, service.run(), service.ready)
        run = await _run_line(config, detector, bus, camera, clock, service, fps=fps, seconds=seconds, stop=stop,
                              telemetry=telemetry)
        if listener is not None:
            await listener.settle()
    return LineRun(simulator, diverter, service, *run, listener)


async def _start(stack: contextlib.AsyncExitStack, service: Coroutine[Any, Any, None], ready: asyncio.Event) -> None:
    """Run `service` until `stack` closes; return once `ready` is set, raising its start-up failure."""
    task = asyncio.create_task(service)
    stack.push_async_callback(_cancel, task)
    await asyncio.wait([task, asyncio.create_task(ready.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()


async def _cancel(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _run_line(config: InspectionConfig, detector: Detector, bus: Callable[[str], BusConfig],
                    camera: ConveyorCamera, clock: LineClock, service: ControllerService, *, fps: float,
                    seconds: float | None, stop: asyncio.Event | None,
                    telemetry: bool) -> tuple[PipelineStats, LatencyRecorder]:
    """The camera node: frames -> detection -> verdicts onto the bus, until the run ends; then wait for the
    controller's strokes."""
    loop = asyncio.get_running_loop()
    async with EventPublisher(bus("inspect1")) as publisher:
        verdicts = VerdictPublisher(publisher, config.line_id)
        published: list = []

        def on_result(result: PartResult) -> None:  # pipeline emit thread -> event loop
            published.append(asyncio.run_coroutine_threadsafe(verdicts.publish(result), loop))

        tracker = PartTracker(detector.names, config.tracking, frame_size=(config.camera.width, config.camera.height),
                              speed_px_s=config.belt.speed_mm_s * config.camera.px_per_mm,
                              crop_margin_px=config.verdict.crop_margin_px)
        sink = InspectionSink(tracker, VerdictAggregator(config.verdict, config.camera, config.line_id), on_result)
        source = SimulatedLineSource(camera, fps=fps, seconds=seconds, pace=True, clock=clock,
                                     source_id=config.line_id)
        latency = TelemetryRecorder(publisher, loop, APP, [source]) if telemetry else LatencyRecorder()
        pipeline = Pipeline([source], detector, [sink], track=False, latency=latency)
        stopper = asyncio.create_task((stop or asyncio.Event()).wait())
        stopper.add_done_callback(lambda _: pipeline.stop())
        try:
            stats = await loop.run_in_executor(None, pipeline.run)
        finally:
            stopper.cancel()
            pipeline.stop()
        sink.flush()  # parts still in view when the camera stopped get their verdict too
        await asyncio.gather(*(asyncio.wrap_future(f) for f in published))
        if isinstance(latency, TelemetryRecorder):
            latency.flush()
            await latency.wait_sent()
        await publisher.drain(timeout=10.0)
        if seconds is not None and not (stop and stop.is_set()):
            # Wait until the last part in view has passed the diverter, then for the strokes already scheduled.
            tail = (config.belt.diverter_mm + MAX_PART_EXTENT_MM) / config.belt.speed_mm_s
            await asyncio.sleep(max(seconds + tail - source.clock.sim_now(), 0.0))
        await service.controller.settle()
    return stats, latency
