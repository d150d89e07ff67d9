"""Synthetic YOLO data set of the intersection seen by pole cameras: `python -m edgesight.apps.traffic.sim.dataset
--out DIR --train 2000 --val 300 --test 300 --seed 0 --workers 8`.

Vehicles are placed straight onto the lanes (queues at the stop lines, free flow behind them and on the exit
lanes, a few turning inside the junction), so no SUMO run is needed and the command works with only numpy,
OpenCV, PyYAML and tqdm installed. The `test` split is held out twice over: its own seed and a camera pose no
train or val image uses (a pole on the west side of the south approach, higher than any training pole).
"""
from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import yaml
from tqdm import tqdm

from edgesight.core.training.dataset import YoloDatasetWriter
from .camera import PoleCamera
from .render_bodies import BUS, CAR, MOTORCYCLE, TRUCK, VEHICLE_CLASSES
from .render_layout import ARM_DIRECTIONS, IntersectionLayout, LanePath
from .render_lighting import Lighting
from .render_scene import SceneRenderer
from .render_scenery import RoadsideScenery
from .render_sensor import SensorNuisance
from .render_vehicle import Vehicles

# Training over-represents the rarer classes compared with a real junction so the detector sees enough of them.
CLASS_SHARES = {CAR: 0.6, BUS: 0.1, TRUCK: 0.15, MOTORCYCLE: 0.15}
TRAIN_HEIGHTS_M = (5.0, 16.0)
# Held-out pose: the only pole on the west side of the south approach, 13.5 m up, watching the south approach
# and the junction. Train and val poles are never placed there (their heights span 5-16 m, as poles on real sites do).
TEST_POLE = {"x": -11.0, "y": -42.0, "height_m": 13.5, "target_x": 1.5, "target_y": -6.0, "hfov_deg": 62.0}


def vehicle_size(class_id: int, rng: np.random.Generator) -> tuple[float, float, float]:
    """Length, width, height in metres, drawn from the ranges of the European fleet."""
    if class_id == CAR:
        return rng.uniform(3.7, 5.0), rng.uniform(1.65, 1.95), rng.uniform(1.4, 1.8)
    if class_id == BUS:
        return rng.uniform(10.5, 13.5), 2.55, rng.uniform(2.9, 3.3)
    if class_id == TRUCK:
        length = rng.uniform(6.0, 9.5) if rng.random() < 0.6 else rng.uniform(13.0, 16.5)
        return length, rng.uniform(2.3, 2.55), rng.uniform(3.0, 4.0)
    return rng.uniform(1.9, 2.3), rng.uniform(0.7, 0.9), rng.uniform(1.35, 1.7)


class TrafficSceneSampler:
    """Random but plausible traffic on the layout: `sample(rng)` -> Vehicles."""

    def __init__(self, layout: IntersectionLayout) -> None:
        self.layout = layout
        self.connections = layout.connections()
        self._classes = np.array(list(CLASS_SHARES))
        self._shares = np.array(list(CLASS_SHARES.values()))

    def sample(self, rng: np.random.Generator) -> Vehicles:
        placed: list[tuple[int, float, float, float, float, float, float]] = []  # class, x, y, heading, l, w, h
        for arm in self.layout.arms:
            for lane in range(self.layout.lanes_per_direction):
                path = self.layout.entry_lane(arm, lane)
                queue = int(rng.choice([0, rng.integers(1, 14)], p=[0.4, 0.6]))
                # Fronts are laid from the stop line backwards: queued cars stand 1.5-3.5 m apart, then free flow.
                front = path.length - rng.uniform(0.3, 2.5) if queue else path.length - rng.uniform(0, 60)
                count = 0
                while front > 0:
                    cls, size = self._vehicle(rng)
                    placed.append(self._on_path(path, front, cls, size, rng))
                    count += 1
                    gap = rng.uniform(1.5, 3.5) if count < queue else rng.exponential(30.0) + 6.0
                    front -= size[0] + gap
                exit_path = self.layout.exit_lane(arm, lane)
                front = rng.uniform(0, 40)
                while front < exit_path.length:
                    cls, size = self._vehicle(rng)
                    if front - size[0] > 0:
                        placed.append(self._on_path(exit_path, front, cls, size, rng))
                    front += rng.exponential(35.0) + size[0] + 8.0
        for index in rng.permutation(len(self.connections))[: rng.integers(0, 6)]:
            path = self.connections[index].path
            cls, size = self._vehicle(rng)
            if path.length <= size[0]:  # a long vehicle does not fit on a short turning path
                continue
            candidate = self._on_path(path, rng.uniform(size[0], path.length), cls, size, rng)
            if not any(_overlap(candidate, other) for other in placed):
                placed.append(candidate)
        rows = np.array(placed, dtype=np.float64).reshape(-1, 7)
        return Vehicles(ids=np.arange(len(rows)), class_id=rows[:, 0].astype(int), xy=rows[:, 1:3], heading_deg=rows[:, 3],
                        size=rows[:, 4:7], seed=rng.integers(0, 2**31, len(rows)))

    def _vehicle(self, rng: np.random.Generator) -> tuple[int, tuple[float, float, float]]:
        cls = int(rng.choice(self._classes, p=self._shares))
        return cls, vehicle_size(cls, rng)

    @staticmethod
    def _on_path(path: LanePath, s: float, cls: int, size: tuple[float, float, float], rng: np.random.Generator) -> tuple:
        xy, heading = path.pose_at([s])
        # Drivers are never exactly on the lane centre nor exactly parallel to it.
        a = math.radians(heading[0])
        lateral = rng.normal(0, 0.2) if cls != MOTORCYCLE else rng.uniform(-1.0, 1.0)
        x, y = xy[0, 0] - lateral * math.cos(a), xy[0, 1] + lateral * math.sin(a)
        return (cls, x, y, heading[0] + rng.normal(0, 1.5), *size)


def _overlap(a: tuple, b: tuple) -> bool:
    """Do two placed vehicles' footprints (plus a 0.5 m margin) intersect?"""
    rects = []
    for _, x, y, heading, length, width, _ in (a, b):
        h = math.radians(heading)
        centre = (x - math.sin(h) * length / 2, y - math.cos(h) * length / 2)
        rects.append((centre, (width + 0.5, length + 0.5), -heading))
    kind, _ = cv2.rotatedRectangleIntersection(rects[0], rects[1])
    return kind != cv2.INTERSECT_NONE


def random_pose(layout: IntersectionLayout, rng: np.random.Generator, resolution: tuple[int, int]) -> PoleCamera:
    """A roadside pole watching one approach, anywhere but the held-out test position."""
    while True:
        arm = str(rng.choice(layout.arms))
        side = float(rng.choice([-1.0, 1.0]))
        out = np.array(ARM_DIRECTIONS[arm])
        left_of_out = np.array([-out[1], out[0]])
        along = rng.uniform(-layout.stop_line_m, 45.0)
        offset = layout.half_width_m + rng.uniform(2.0, 9.0)
        pole = layout.center + out * along + left_of_out * side * offset
        if arm == "south" and pole[0] < layout.center_x:
            continue
        target = layout.center + out * rng.uniform(0.0, 70.0) + left_of_out * rng.normal(0, 3.0)
        if np.linalg.norm(target - pole) < 12.0:
            continue
        hfov = rng.uniform(45.0, 78.0)
        return PoleCamera.looking_at(float(pole[0]), float(pole[1]), float(rng.uniform(*TRAIN_HEIGHTS_M)),
                                     float(target[0]), float(target[1]), focal_px=_focal(hfov, resolution[0]),
                                     resolution=resolution, roll_deg=float(rng.normal(0, 1.0)))


def test_pose(layout: IntersectionLayout, resolution: tuple[int, int]) -> PoleCamera:
    p = TEST_POLE
    return PoleCamera.looking_at(layout.center_x + p["x"], layout.center_y + p["y"], p["height_m"],
                                 layout.center_x + p["target_x"], layout.center_y + p["target_y"],
                                 focal_px=_focal(p["hfov_deg"], resolution[0]), resolution=resolution)


def _focal(hfov_deg: float, width: int) -> float:
    return width / 2 / math.tan(math.radians(hfov_deg) / 2)


class LabelledFrameSource:
    """Renders image i of a split deterministically from (seed, i): the same command always writes the same
    data set, whatever the number of workers."""

    def __init__(self, layout: IntersectionLayout, resolution: tuple[int, int], seed: int, held_out_pose: bool) -> None:
        self.layout = layout
        self.resolution = resolution
        self.seed = seed
        self.held_out_pose = held_out_pose
        self.scene = SceneRenderer(layout, seed=seed)
        self.sampler = TrafficSceneSampler(layout)
        self.scenery = RoadsideScenery(layout)

    def __call__(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, index])
        camera = test_pose(self.layout, self.resolution) if self.held_out_pose else random_pose(self.layout, rng, self.resolution)
        vehicles = self.sampler.sample(rng)
        props = self.scenery.sample(rng)
        image, truth = self.scene.render(camera, vehicles, Lighting.random(rng), SensorNuisance.random(rng), rng, props)
        keep = truth.labelled()
        return image, truth.xyxy[keep], vehicles.class_id[keep]


_worker_source: LabelledFrameSource | None = None


def _init_worker(resolution: tuple[int, int], seed: int, held_out_pose: bool) -> None:
    global _worker_source
    _worker_source = LabelledFrameSource(IntersectionLayout(), resolution, seed, held_out_pose)


def _render_in_worker(index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _worker_source(index)


def write_dataset(out: Path, counts: dict[str, int], seed: int, workers: int, resolution: tuple[int, int]) -> Path:
    """Render every split into `out` and return the data.yaml path."""
    writer = YoloDatasetWriter(out, list(VEHICLE_CLASSES), min_box_px=10.0)  # < 5 px at the 640 model input
    layout = IntersectionLayout()
    # Each split draws from its own seed; test also from its own pose.
    split_seeds = {"train": seed, "val": seed + 1, "test": seed + 2}
    for split, count in counts.items():
        if count <= 0:
            continue
        args = (resolution, split_seeds[split], split == "test")
        with contextlib.ExitStack() as stack:
            if workers == 1:  # in this process: no interpreter start-up per split
                _init_worker(*args)
                rendered = map(_render_in_worker, range(count))
            else:
                pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(
                    workers, initializer=_init_worker, initargs=args))
                rendered = pool.imap(_render_in_worker, range(count), chunksize=4)
            for image, xyxy, cls in tqdm(rendered, total=count, desc=split):
                writer.add(split, image, xyxy, cls)
    meta = {
        "generator": "edgesight.apps.traffic.sim.dataset",
        "classes": list(VEHICLE_CLASSES),
        "resolution": list(resolution),
        "split_seeds": {s: split_seeds[s] for s in counts if counts[s] > 0},
        "layout": asdict(layout),
        "test_pose": {**TEST_POLE, **{k: v for k, v in asdict(test_pose(layout, resolution)).items() if k != "rotation"}},
        "train_pose_rule": f"roadside poles {TRAIN_HEIGHTS_M[0]}-{TRAIN_HEIGHTS_M[1]} m high on any arm except the west side of south",
        "images": writer.counts,
    }
    (Path(out) / "generation.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    return writer.finish()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="data-set folder (images/, labels/, data.yaml)")
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--val", type=int, default=300)
    parser.add_argument("--test", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args(argv)
    if min(args.train, args.val, args.test) < 0 or args.workers < 1:
        parser.error("--train/--val/--test must be >= 0 and --workers >= 1")
    path = write_dataset(args.out, {"train": args.train, "val": args.val, "test": args.test}, args.seed, args.workers,
                         (args.width, args.height))
    print(path)


if __name__ == "__main__":
    main()
