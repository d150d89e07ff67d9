"""`edgesight demo`: EdgeSight on bundled video with nothing installed beyond the package.

Runs the detection pipeline (the shipped vehicle model, ByteTrack) on a clip rendered by the traffic camera,
prints what it tracks once a second and the latency of every stage at the end.
"""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..core.detect import Detector
from ..core.metrics import LatencyRecorder, format_summary
from ..core.models import bundled_asset, bundled_model
from ..core.pipeline import Pipeline
from ..core.sinks import ConsoleSummary
from ..core.sources import open_source

DEMO_CLIP = "demo_intersection.mp4"


def demo(
    pace: Annotated[bool, typer.Option("--pace/--no-pace", help="play at the clip's frame rate, or as fast as "
                                       "the box can")] = True,
    loop: Annotated[bool, typer.Option(help="play the clip forever (Ctrl-C stops)")] = False,
    max_frames: Annotated[Optional[int], typer.Option(help="stop after this many frames")] = None,
) -> None:
    """Run the pipeline on the bundled intersection clip: tracked vehicles once a second, latency at the end."""
    detector = Detector(bundled_model("traffic_vehicles"))
    source = open_source(str(bundled_asset(DEMO_CLIP)), source_id="demo-cam", pace=pace, loop=loop)
    typer.echo(f"EdgeSight demo: {detector.describe()}\nsource: {source!r}\n", err=True)
    latency = LatencyRecorder()
    pipeline = Pipeline([source], detector, [ConsoleSummary()], latency=latency, max_frames=max_frames)
    try:
        stats = pipeline.run()
    except KeyboardInterrupt:
        pipeline.stop()
        stats = pipeline.stats
    typer.echo(f"\n{sum(stats.frames.values())} frames in {stats.seconds:.1f} s ({stats.fps:.1f} frames/s)")
    typer.echo(format_summary(latency.summary()))
