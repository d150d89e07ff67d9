"""`edgesight traffic run`: a camera's video through the detection pipeline into the site's measurement;
traffic-flow events per interval and a crossing event per vehicle go out over MQTT (QoS 1, durable outbox),
and the counts per line, direction and lane are printed at the end."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer

from edgesight.core.bus.config import BusConfig, OutboxConfig
from edgesight.core.bus.embedded import broker_for
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.detect import Detector, DetectorError
from edgesight.core.frame import Frame
from edgesight.core.metrics import LatencyRecorder, format_summary
from edgesight.core.models import bundled_model
from edgesight.core.pipeline import Pipeline, PipelineStats
from edgesight.core.sources import SourceError, VideoSource, open_source

from .count_totals import CountTotals
from .event_publisher import MeasurementPublisher
from .line_counter import LineCrossing
from .site import SiteConfig
from .site_measurement import SiteMeasurement
from .site_video import SiteVideoWriter
from .sink import CameraMeasurement, TrafficSink
from .vehicle_classes import VehicleClassFilter


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


async def measure(video: VideoSource, detector: Detector, vehicles: VehicleClassFilter, measurement: SiteMeasurement,
                  bus: BusConfig, interval_s: float, totals: CountTotals, video_out: SiteVideoWriter | None = None,
                  latency: LatencyRecorder | None = None, max_frames: int | None = None) -> PipelineStats:
    """The pipeline on a worker thread, its traffic sink publishing through this loop; returns its stats."""
    loop = asyncio.get_running_loop()
    async with broker_for(bus), EventPublisher(bus) as publisher:
        events = MeasurementPublisher(publisher, loop, interval_s)

        def on_crossing(frame: Frame, crossing: LineCrossing) -> None:
            totals.add(frame, crossing)
            events.crossing(frame, crossing)

        camera = CameraMeasurement(measurement, vehicles, fps=video.fps or 25.0)
        sink = TrafficSink({video.source_id: camera}, interval_s, on_crossing=on_crossing, on_report=events.report,
                           on_tracked=video_out.emit if video_out is not None else None)
        pipeline = Pipeline([video], detector, [sink], track=False, latency=latency, max_frames=max_frames)
        try:
            await loop.run_in_executor(None, pipeline.run)
        finally:
            pipeline.stop()  # when cancelled (Ctrl-C) the worker thread is still running it
            sink.finish()
            await events.queued()
            if not await publisher.drain(timeout=10.0):
                typer.secho("warning: the broker did not acknowledge every event within 10 s; they stay in the "
                            "outbox for the next run", err=True)
        return pipeline.stats


def run_command(
    source: Annotated[str, typer.Option("--source", "-s", help="video file, image folder, rtsp://... URL or USB index")],
    site: Annotated[Path, typer.Option(help="site config YAML (lanes, lines, ground plane) for this camera")],
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="ONNX detector; COCO or VOC models work "
                                                  "(car, truck, bus, motorcycle/motorbike are kept); default: the "
                                                  "bundled vehicle model")] = None,
    broker: Annotated[Optional[str], typer.Option(help="mqtt://host:port; default: an embedded broker on "
                                                  "127.0.0.1:--embedded-port")] = None,
    interval: Annotated[float, typer.Option(help="seconds per traffic-flow event")] = 10.0,
    camera: Annotated[Optional[str], typer.Option(help="camera id in event topics (default: the site's name)")] = None,
    bus_site: Annotated[str, typer.Option(help="site id on the bus")] = "site1",
    node: Annotated[str, typer.Option(help="this edge box's node id on the bus")] = "edge1",
    embedded_port: Annotated[int, typer.Option(help="port of the embedded broker")] = 1883,
    outbox: Annotated[Path, typer.Option(help="durable outbox file (events wait here while the broker is away)")]
    = Path("edgesight-outbox.sqlite"),
    names: Annotated[Optional[Path], typer.Option(help="class names file for a model without metadata")] = None,
    conf: Annotated[float, typer.Option(help="detection confidence threshold")] = 0.25,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: all cores)")] = 0,
    pace: Annotated[bool, typer.Option("--pace/--no-pace", help="replay files at their frame rate, or as fast as "
                                       "possible")] = True,
    save: Annotated[Optional[Path], typer.Option(help="write the video with the site and tracked vehicles drawn")]
    = None,
    max_frames: Annotated[Optional[int], typer.Option(help="stop after this many frames")] = None,
) -> None:
    """Count, measure and publish traffic from one camera; print the counts at the end."""
    if interval <= 0:
        raise _fail(f"--interval {interval}: must be a positive number of seconds")
    try:
        config = SiteConfig.load(site)
        detector = Detector(model or bundled_model("traffic_vehicles"), conf=conf, names=names,
                            threads=threads).fitted_to(*config.image_size)  # no work on letterbox padding
        vehicles = VehicleClassFilter(detector.names)
        bus = BusConfig(site_id=bus_site, node_id=node, broker_url=broker, embedded_port=embedded_port,
                        outbox=OutboxConfig(path=outbox))
        video = open_source(source, source_id=camera or config.name, pace=pace)
    except (ValueError, DetectorError, FileNotFoundError, SourceError) as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    if video.size is not None and tuple(video.size) != tuple(config.image_size):
        video.close()
        raise _fail(f"site {site.name} is drawn for {config.image_size[0]}x{config.image_size[1]} but {source} is "
                    f"{video.size[0]}x{video.size[1]}; use that camera's site config")
    typer.echo(f"model: {detector.describe()}", err=True)
    totals = CountTotals()
    latency = LatencyRecorder()
    video_out = SiteVideoWriter(save, config, video.fps or 25.0) if save is not None else None
    try:
        stats = asyncio.run(measure(video, detector, vehicles, SiteMeasurement(config, detector.names), bus, interval, totals,
                                    video_out, latency, max_frames))
    except KeyboardInterrupt:
        stats = None
    except RuntimeError as exc:  # the embedded broker cannot listen
        raise _fail(str(exc)) from None
    finally:
        if video_out is not None:
            video_out.close()
    if stats is not None:
        typer.echo(f"{sum(stats.frames.values())} frames in {stats.seconds:.1f} s ({stats.fps:.1f} frames/s)", err=True)
        typer.echo(format_summary(latency.summary()), err=True)
    typer.echo(totals.table())
    if stats is not None and stats.errors:
        raise _fail("; ".join(stats.errors))
