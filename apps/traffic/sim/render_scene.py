"""One camera frame of the intersection: road, shadows, vehicle bodies, lighting and sensor effects, plus the
ground truth of every vehicle in it."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .camera import PoleCamera
from .render_layout import IntersectionLayout
from .render_lighting import Lighting
from .render_road import RoadRenderer
from .render_sensor import SensorNuisance
from .render_vehicle import Solid, VehicleGroundTruth, VehicleRenderer, Vehicles


class SceneRenderer:
    """`render(camera, vehicles, lighting, sensor, rng, props)` -> (BGR uint8 image, ground truth per vehicle)."""

    def __init__(self, layout: IntersectionLayout, seed: int = 0) -> None:
        self.layout = layout
        self.road = RoadRenderer(layout, seed=seed)
        self.vehicles = VehicleRenderer()
        self._sky_seed = seed
        # The empty road depends on the camera alone: a fixed camera's video paints it once.
        self._roads: dict[PoleCamera, np.ndarray] = {}

    def render(self, camera: PoleCamera, vehicles: Vehicles, lighting: Lighting, sensor: SensorNuisance,
               rng: np.random.Generator, props: Sequence[Solid] = ()) -> tuple[np.ndarray, VehicleGroundTruth]:
        road = self._roads.get(camera)
        if road is None:
            road = self._roads[camera] = self.road.draw(camera, sky_seed=self._sky_seed)
        # The road is lit like any upward-facing surface, so bodies and their shadows sit in the same light.
        image = (road.astype(np.float32) * lighting.shade(np.array([[0.0, 0.0, 1.0]]))[0]).astype(np.uint8)
        truth = self.vehicles.draw(image, camera, vehicles, lighting, props)
        return sensor.apply(lighting.apply(image), rng), truth
