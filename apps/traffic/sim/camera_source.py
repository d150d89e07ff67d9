"""The virtual pole camera on a live SUMO run: a VideoSource that steps the simulation once per frame, renders
what the camera sees and keeps the ground truth of the frame it just delivered.

It streams into the pipeline like a recorded file (a replay never drops frames), so the whole chain
source -> detector -> tracker -> app logic runs on simulated traffic whose true counts are known.
"""
from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edgesight.core.frame import Frame
from edgesight.core.sources.health import SourceHealth, SourceState
from edgesight.core.sources.rate_meter import RateMeter
from edgesight.core.sources.video_source import CapturedImage, VideoSource

from .camera import PoleCamera
from .render_bodies import VEHICLE_CLASSES
from .render_layout import IntersectionLayout
from .render_lighting import Lighting
from .render_scene import SceneRenderer
from .render_scenery import RoadsideScenery
from .render_sensor import SensorNuisance
from .render_vehicle import Vehicles
from .run import SumoRun
from .vehicle_states import VehicleState


@dataclass(frozen=True)
class FrameTruth:
    """Ground truth of one rendered frame, one row per vehicle in the network (on camera or not)."""

    seq: int
    sim_time: float
    ids: list[str]
    class_names: list[str]
    lanes: list[str]
    xyxy: np.ndarray  # (N, 4) projected body box clipped to the frame; NaN when off-frame
    visibility: np.ndarray  # (N,) visible share of the in-frame silhouette
    labelled: np.ndarray  # (N,) bool: visible enough to be a detection target
    xy: np.ndarray  # (N, 2) front-bumper position, metres
    speed: np.ndarray  # (N,) m/s


def vehicles_from_states(states: Sequence[VehicleState]) -> Vehicles:
    """SUMO states to renderable vehicles; the look of each vehicle is seeded by its id so it never changes."""
    return Vehicles(
        ids=np.array([s.id for s in states], dtype=object),
        class_id=np.array([VEHICLE_CLASSES.index(s.vehicle_class) for s in states], dtype=int),
        xy=np.array([(s.x, s.y) for s in states], dtype=float).reshape(-1, 2),
        heading_deg=np.array([s.angle for s in states], dtype=float),
        size=np.array([(s.length, s.width, s.height) for s in states], dtype=float).reshape(-1, 3),
        seed=np.array([zlib.crc32(s.id.encode()) for s in states], dtype=np.int64),
    )


class SumoCameraSource(VideoSource):
    """Frames of `camera` over a started `run`; `truth` is the ground truth of the frame `read()` returned last.

    The run's step length must divide the frame period (e.g. step 0.04 s or 0.02 s for 25 fps) so frames land
    on simulation steps; the source ends with the run's demand or at `until_s` of simulated time. Whoever
    steps the run before handing it over must read `run.vehicle_states()` after every step too."""

    live = False

    def __init__(self, run: SumoRun, camera: PoleCamera, *, layout: IntersectionLayout | None = None,
                 source_id: str = "sumo-camera", seed: int = 0, lighting: Lighting | None = None,
                 sensor: SensorNuisance | None = None, until_s: float | None = None) -> None:
        super().__init__()
        if run.api is None:
            raise ValueError("SumoCameraSource: the SumoRun is not started; open it with `with SumoRun(...) as run`")
        steps = 1.0 / camera.fps / run.step_length
        if steps < 1 - 1e-6 or abs(steps - round(steps)) > 1e-6:
            raise ValueError(f"SumoCameraSource: SumoRun step_length={run.step_length} s does not divide the frame period "
                             f"1/{camera.fps} s; use step_length={1 / camera.fps:g} or an integer fraction of it")
        self.source_id = source_id
        self.fps = camera.fps
        self.size = camera.resolution
        self.run = run
        self.camera = camera
        self.truth: FrameTruth | None = None
        self._steps_per_frame = int(round(steps))
        self._until_s = until_s
        self._scene = SceneRenderer(layout or IntersectionLayout(), seed=seed)
        self._props = RoadsideScenery(self._scene.layout).sample(np.random.default_rng(seed))
        self._lighting = lighting or Lighting()
        self._sensor = sensor or SensorNuisance()
        self._rng = np.random.default_rng(seed)
        self._state = SourceState.CONNECTED
        self._frames_read = 0
        self._meter = RateMeter()
        self._lock = threading.Lock()

    def read(self) -> Frame | None:
        with self._lock:
            if self._state is not SourceState.CONNECTED:
                return None
            if self.run.finished or (self._until_s is not None and self.run.time >= self._until_s - 1e-9):
                self._state = SourceState.ENDED
                return None
            for _ in range(self._steps_per_frame):
                self.run.step()
                # Read every step: the state reader only subscribes vehicles that departed in the step just made.
                states = self.run.vehicle_states()
            vehicles = vehicles_from_states(states)
            image, truth = self._scene.render(self.camera, vehicles, self._lighting, self._sensor, self._rng, self._props)
            sim_time = self.run.time
            self.truth = FrameTruth(
                seq=self._next_seq, sim_time=sim_time, ids=[s.id for s in states],
                class_names=[s.vehicle_class for s in states], lanes=[s.lane_id for s in states],
                xyxy=truth.xyxy, visibility=truth.visibility, labelled=truth.labelled(),
                xy=vehicles.xy, speed=np.array([s.speed for s in states], dtype=float),
            )
            self._frames_read += 1
        now, wall = time.monotonic(), time.time()
        self._meter.tick(now)
        return self._deliver(CapturedImage(image, now, wall, now, media_ts=sim_time))

    def close(self) -> None:
        with self._lock:
            self._state = SourceState.ENDED

    def health(self) -> SourceHealth:
        return SourceHealth(state=self._state, frames_read=self._frames_read, frames_dropped=0, reconnects=0,
                            last_error=None, fps=self._meter.rate(time.monotonic()))
