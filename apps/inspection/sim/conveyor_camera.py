"""The camera over the simulated line: renders the belt and the parts under it at any simulation time, with the
frame's ground truth (every visible part and defect box, tagged with its part index)."""
from __future__ import annotations

import numpy as np

from .belt import BeltRenderer
from .camera import CameraConditions, CameraModel
from .conveyor import MAX_PART_EXTENT_MM, ConveyorSimulator
from .part_renderer import PartRenderer, PartSprite
from .scene import FrameTruth, SceneComposer


class ConveyorCamera:
    """A fixed camera looking straight down, its optical axis across the belt at x = 0, image +x downstream."""

    def __init__(self, line: ConveyorSimulator, width: int = 640, height: int = 480, px_per_mm: float = 2.4,
                 exposure_s: float = 0.002, seed: int = 0) -> None:
        if line.line.belt_width_mm * px_per_mm > height * 1.05:
            raise ValueError(f"a {line.line.belt_width_mm} mm belt at {px_per_mm} px/mm does not fit {height} px: "
                             f"lower px_per_mm to <= {height / line.line.belt_width_mm:.2f}")
        self.line = line
        self.width, self.height, self.px_per_mm = width, height, px_per_mm
        rng = np.random.default_rng([seed, 0xCA])
        self.belt = BeltRenderer(width, height, rng)
        self.renderer = PartRenderer(px_per_mm)
        self.composer = SceneComposer()
        self.camera = CameraModel(width, height)
        # One installation: lighting fixed for the line, motion blur from the belt speed and the exposure time.
        self.conditions = CameraConditions(
            gain=float(rng.uniform(0.9, 1.1)), colour=tuple(float(v) for v in rng.uniform(0.96, 1.04, 3)),
            gradient_angle=float(rng.uniform(0, 2 * np.pi)), gradient=float(rng.uniform(0.05, 0.2)),
            vignette=float(rng.uniform(0.05, 0.2)), blur_px=line.line.speed_mm_s * exposure_s * px_per_mm,
            noise_sigma=float(rng.uniform(1.5, 3.5)), jpeg_quality=85)
        self.seed = seed
        self.half_view_mm = width / 2 / px_per_mm
        self._sprites: dict[int, PartSprite] = {}

    def to_pixels(self, x_mm: float, lateral_mm: float) -> tuple[float, float]:
        return self.width / 2 + x_mm * self.px_per_mm, self.height / 2 + lateral_mm * self.px_per_mm

    def capture(self, t: float, frame_index: int) -> tuple[np.ndarray, FrameTruth]:
        reach = self.half_view_mm + MAX_PART_EXTENT_MM / 2
        visible = self.line.parts_within(t, -reach, reach)
        placed = []
        for part in visible:
            sprite = self._sprites.get(part.spec.part_id)
            if sprite is None:
                sprite = self._sprites[part.spec.part_id] = self.renderer.render(part.spec)
            cx, cy = self.to_pixels(part.x_mm(t), part.lateral_mm)
            bx, by = (sprite.part_xyxy[0] + sprite.part_xyxy[2]) / 2, (sprite.part_xyxy[1] + sprite.part_xyxy[3]) / 2
            placed.append((sprite, int(round(cx - bx)), int(round(cy - by))))
        seen = {p.spec.part_id for p in visible}
        for gone in [k for k in self._sprites if k not in seen]:
            del self._sprites[gone]
        scene, truth = self.composer.compose(self.belt.view(self.line.line.speed_mm_s * t * self.px_per_mm), placed)
        # Lamps flicker by a percent or so from frame to frame.
        rng = np.random.default_rng([self.seed, frame_index])
        scene *= np.float32(1 + rng.normal(0, 0.01))
        return self.camera.capture(scene, self.conditions, rng), truth
