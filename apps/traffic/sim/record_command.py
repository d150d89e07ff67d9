"""`edgesight traffic record`: a virtual camera's clip of a bundled scenario with its ground truth and the site
config that camera implies, ready for `traffic run` and `traffic accuracy`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
import yaml

from .camera import PoleCamera
from .camera_recorder import record_clip
from .camera_site import site_config_for
from .cameras import CAMERA_NAMES, named_camera
from .render_layout import IntersectionLayout

# How far from the junction centre each kind of camera's lanes are measured: the corner pole sees the first
# 60 m of its approach, an approach camera the first 100 m (what a signal controller weighs).
LANE_REACH_M = {"south-pole": 60.0}
APPROACH_LANE_REACH_M = 100.0
# An approach camera stands at the stop line looking upstream. Entering vehicles are seen best near it (farther
# up the queue they hide behind one another); leaving vehicles drive into view at the frame's bottom edge, often
# behind vehicles queued at the stop line, and need a few frames of track before a line. So entering vehicles
# are counted 8 m beyond the stop line and leaving ones 25 m beyond it (chosen on the 15-minute clips of seed 42,
# checked on seeds 43 and 44; README, Traffic).
APPROACH_COUNT_LINES_M = (8.0, 25.0)


@dataclass(frozen=True)
class ClipFiles:
    """A recorded clip in `folder`: `<name>.mp4`, its ground truth `<name>.truth.jsonl`, its site `<name>.site.yaml`."""

    folder: Path
    name: str

    @property
    def video(self) -> Path:
        return self.folder / f"{self.name}.mp4"

    @property
    def truth(self) -> Path:
        return self.folder / f"{self.name}.truth.jsonl"

    @property
    def site(self) -> Path:
        return self.folder / f"{self.name}.site.yaml"


def write_site(path: Path, camera: PoleCamera, name: str, scenario: str) -> Path:
    if name in LANE_REACH_M:
        site = site_config_for(camera, IntersectionLayout(), name, lane_reach_m=LANE_REACH_M[name])
    else:
        count_in_m, count_out_m = APPROACH_COUNT_LINES_M
        site = site_config_for(camera, IntersectionLayout(), name, lane_reach_m=APPROACH_LANE_REACH_M,
                               count_line_m=count_in_m, count_out_line_m=count_out_m)
    header = (f"# Site of the virtual camera {name} ({camera.width}x{camera.height}) over the bundled intersection, "
              f"written by `edgesight traffic record` (scenario {scenario}).\n# Lane names are SUMO lane ids; "
              f"\"in\" means towards the junction.\n")
    path.write_text(header + yaml.safe_dump(site, sort_keys=False, default_flow_style=None))
    return path


def record_command(
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="bundled scenario (see `scenarios`)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for <camera>.mp4, .truth.jsonl and .site.yaml")],
    camera: Annotated[list[str], typer.Option(help=f"camera to record, repeat for several: {', '.join(CAMERA_NAMES)}")]
    = ["south-pole"],  # noqa: B006 - typer reads the default, nothing mutates it
    seconds: Annotated[float, typer.Option(help="length of the clip, simulated seconds")] = 60.0,
    warmup: Annotated[float, typer.Option(help="simulated seconds of traffic before the clip starts")] = 120.0,
    fps: Annotated[float, typer.Option(help="camera frame rate")] = 5.0,
    width: Annotated[int, typer.Option(help="frame width in pixels")] = 640,
    height: Annotated[int, typer.Option(help="frame height in pixels")] = 360,
    seed: Annotated[int, typer.Option(help="SUMO seed")] = 42,
) -> None:
    """Record virtual-camera clips of a SUMO run, each with per-frame ground truth and its site config."""
    try:
        cameras = {name: named_camera(name, (width, height), fps) for name in camera}
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    for name, pole in cameras.items():
        files = ClipFiles(out, name)
        frames = record_clip(scenario, pole, files.video, files.truth, duration_s=seconds, warmup_s=warmup, seed=seed)
        write_site(files.site, pole, name, scenario)
        typer.echo(f"{name}: {frames} frames -> {files.video}, {files.truth.name}, {files.site.name}")
