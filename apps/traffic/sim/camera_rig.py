"""Several virtual cameras over one live SUMO run. Whoever steps the simulation `show`s each camera frame's
vehicle states; every camera (a VideoSource in `views`, read on the pipeline's reader threads) renders its
own view of them. The cameras never step the simulation, so a closed loop can step it in lockstep with the
decisions that steer it."""
from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

import numpy as np

from edgesight.core.frame import Frame
from edgesight.core.sources.health import SourceHealth, SourceState
from edgesight.core.sources.video_source import CapturedImage, VideoSource

from .camera import PoleCamera
from .camera_source import vehicles_from_states
from .render_layout import IntersectionLayout
from .render_lighting import Lighting
from .render_scene import SceneRenderer
from .render_scenery import RoadsideScenery
from .render_sensor import SensorNuisance
from .vehicle_states import VehicleState


class SimulatedCameras:
    """`show(sim_time, states)` starts frame `index + 1` of every camera; `close()` ends them all."""

    def __init__(self, cameras: Mapping[str, PoleCamera], *, seed: int = 0,
                 layout: IntersectionLayout | None = None) -> None:
        rates = {camera.fps for camera in cameras.values()}
        if len(rates) != 1:
            raise ValueError(f"SimulatedCameras: cameras run at {sorted(rates)} fps; give them one frame rate")
        self.fps = rates.pop()
        scene = SceneRenderer(layout or IntersectionLayout(), seed=seed)  # one road texture for every view
        props = RoadsideScenery(scene.layout).sample(np.random.default_rng(seed))
        self.views = [CameraView(self, name, camera, scene, props, seed + i)
                      for i, (name, camera) in enumerate(cameras.items())]
        self._cond = threading.Condition()
        self._index = -1
        self._shown: tuple[float, Sequence[VehicleState]] = (0.0, ())
        self.closed = False

    def show(self, sim_time: float, states: Sequence[VehicleState]) -> None:
        with self._cond:
            self._shown = (sim_time, states)
            self._index += 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def frame(self, after: int) -> tuple[int, float, Sequence[VehicleState]] | None:
        """The newest frame after index `after` (blocks until one is shown); None once closed."""
        with self._cond:
            while self._index <= after and not self.closed:
                self._cond.wait()
            if self.closed:
                return None
            return self._index, *self._shown


class CameraView(VideoSource):
    """One camera of SimulatedCameras; `captured` maps each frame's simulated time to its capture (monotonic)."""

    live = False

    def __init__(self, cameras: SimulatedCameras, name: str, camera: PoleCamera, scene: SceneRenderer, props: list,
                 seed: int) -> None:
        super().__init__()
        self.source_id = name
        self.fps = camera.fps
        self.size = camera.resolution
        self.camera = camera
        self.captured: dict[float, float] = {}
        self._cameras = cameras
        self._scene = scene
        self._props = props
        self._lighting = Lighting()
        self._sensor = SensorNuisance()
        self._rng = np.random.default_rng(seed)
        self._last = -1

    def read(self) -> Frame | None:
        shown = self._cameras.frame(self._last)
        if shown is None:
            return None
        self._last, sim_time, states = shown
        image, _ = self._scene.render(self.camera, vehicles_from_states(states), self._lighting, self._sensor,
                                      self._rng, self._props)
        now, wall = time.monotonic(), time.time()
        self.captured[sim_time] = now
        return self._deliver(CapturedImage(image, now, wall, now, media_ts=sim_time))

    def close(self) -> None:
        """Closing any camera ends them all: the pipeline closes every source once one of them has ended."""
        self._cameras.close()

    def health(self) -> SourceHealth:
        return SourceHealth(state=SourceState.ENDED if self._cameras.closed else SourceState.CONNECTED,
                            frames_read=len(self.captured), frames_dropped=0, reconnects=0, last_error=None,
                            fps=self.fps)
