"""Renders a labelled YOLO data set of belt frames for training the inspection detector.

    python -m edgesight.apps.inspection.sim.dataset --out DIR --train 2000 --val 300 --test 300 --seed 0 --workers 16

Classes are classes.CLASS_NAMES: 'part' boxes (what tracking and verdicts are built on) and one class per defect.
Every image has its own random stream keyed by (seed, split, index), so output does not depend on --workers; the
test split uses --test-seed (default seed + 1), which keeps it held out from anything train/val could contain.
Needs only numpy, OpenCV, PyYAML and tqdm.
"""
from __future__ import annotations

import argparse
import multiprocessing
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from edgesight.core.training.dataset import YoloDatasetWriter
from ..classes import CLASS_NAMES
from .belt import BeltRenderer
from .camera import CameraConditions, CameraModel
from .part_renderer import PartRenderer, PartSprite
from .parts import PartSampler, defect_probabilities
from .scene import FrameTruth, SceneComposer

_SPLIT_CODE = {"train": 0, "val": 1, "test": 2}


@dataclass(frozen=True, slots=True)
class RandomSceneSettings:
    width: int = 640
    height: int = 480
    px_per_mm: float = 2.4  # 640 px cover 267 mm of belt
    defect_share: float = 0.6  # training wants many defect examples; the line itself runs with a far lower share
    empty_share: float = 0.05  # frames of bare belt, so the detector learns the belt is not a part
    pcb_share: float | None = None  # share of PCBs among parts; None: both kinds equally likely
    defect_weights: tuple[tuple[str, float], ...] = ()  # (class, relative weight) pairs; (): classes equally likely


class RandomSceneRenderer:
    """One random belt frame per call: 0-3 parts at random positions, some cut by the frame edge as they enter or
    leave, under randomly sampled camera conditions. The camera scale varies +-15% around the setting."""

    def __init__(self, settings: RandomSceneSettings) -> None:
        self.s = settings
        self.sampler = PartSampler(settings.defect_share, pcb_share=settings.pcb_share,
                                   defect_weights=dict(settings.defect_weights))
        self.camera = CameraModel(settings.width, settings.height)
        self.composer = SceneComposer()

    def render(self, rng: np.random.Generator) -> tuple[np.ndarray, FrameTruth]:
        w, h = self.s.width, self.s.height
        belt = BeltRenderer(w, h, rng, loop_factor=1)
        renderer = PartRenderer(self.s.px_per_mm * rng.uniform(0.85, 1.15))
        n = 0 if rng.random() < self.s.empty_share else int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.2]))
        placed: list[tuple[PartSprite, int, int]] = []
        taken: list[np.ndarray] = []
        for part_id in range(n):
            sprite = renderer.render(self.sampler.sample(rng, part_id))
            sh, sw = sprite.alpha.shape
            for _ in range(20):
                x0 = int(rng.uniform(-0.4 * sw, w - 0.6 * sw))
                y_lo, y_hi = belt.belt_edge_px - sprite.part_xyxy[1], h - belt.belt_edge_px - sprite.part_xyxy[3]
                y0 = int(rng.uniform(y_lo, max(y_lo, y_hi) + 1))
                box = sprite.part_xyxy + (x0, y0, x0, y0)
                if all(box[0] > t[2] + 4 or box[2] < t[0] - 4 or box[1] > t[3] + 4 or box[3] < t[1] - 4 for t in taken):
                    placed.append((sprite, x0, y0))
                    taken.append(box)
                    break
        scene, truth = self.composer.compose(belt.view(rng.uniform(0, w)), placed)
        return self.camera.capture(scene, CameraConditions.sample(rng), rng), truth.labelled()


_renderer: RandomSceneRenderer | None = None


def _render_task(task: tuple[RandomSceneSettings, int, str, int]) -> tuple[str, int, np.ndarray, FrameTruth]:
    global _renderer
    settings, seed, split, index = task
    if _renderer is None or _renderer.s != settings:
        _renderer = RandomSceneRenderer(settings)  # one per worker process: it holds the camera's lighting grids
    image, truth = _renderer.render(np.random.default_rng([seed, _SPLIT_CODE[split], index]))
    return split, index, image, truth


def build_dataset(out: Path, counts: dict[str, int], seed: int, test_seed: int, settings: RandomSceneSettings,
                  workers: int = 1) -> Path:
    """Render `counts` images per split into `out`; returns the data.yaml path. The test split always draws both
    part kinds and all defect classes equally, so held-out figures compare across training mixes."""
    held_out = replace(settings, pcb_share=None, defect_weights=())
    tasks = [(held_out, test_seed, split, i) if split == "test" else (settings, seed, split, i)
             for split, n in counts.items() for i in range(n)]
    writer = YoloDatasetWriter(out, list(CLASS_NAMES))
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            _write_all(writer, pool.imap(_render_task, tasks, chunksize=8), len(tasks))
    else:
        _write_all(writer, map(_render_task, tasks), len(tasks))
    return writer.finish()


def _write_all(writer: YoloDatasetWriter, rendered: Iterable[tuple[str, int, np.ndarray, FrameTruth]], total: int) -> None:
    """Images arrive in task order whatever the worker count; the writer encodes and stores them here."""
    for split, index, image, truth in tqdm(rendered, total=total, desc="render"):
        writer.add(split, image, truth.xyxy, truth.class_id, name=f"{split}_{index:06d}")


def _defect_weights(text: str) -> tuple[tuple[str, float], ...]:
    pairs = []
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        try:
            pairs.append((name, float(value)))  # no '=' leaves value empty, which float() refuses too
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r}: give CLASS=WEIGHT, e.g. missing_feature=2") from None
    try:
        defect_probabilities(dict(pairs))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return tuple(pairs)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="output folder (images/, labels/, data.yaml)")
    p.add_argument("--train", type=int, default=2000)
    p.add_argument("--val", type=int, default=300)
    p.add_argument("--test", type=int, default=300)
    p.add_argument("--seed", type=int, default=0, help="seed of the train and val splits")
    p.add_argument("--test-seed", type=int, default=None, help="seed of the held-out test split (default: seed + 1)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--px-per-mm", type=float, default=2.4)
    p.add_argument("--defect-share", type=float, default=0.6, help="fraction of parts that carry defects")
    p.add_argument("--pcb-share", type=float, default=None,
                   help="fraction of parts that are PCBs in train/val (default: half; the test split keeps half)")
    p.add_argument("--defect-weights", type=_defect_weights, default=(), metavar="CLASS=W,...",
                   help="make some defect classes more likely in train/val, e.g. missing_feature=2,scratch=1.5 "
                        "(a class not named weighs 1; the test split keeps all classes equally likely)")
    a = p.parse_args(argv)
    for name in ("train", "val", "test"):
        if getattr(a, name) < 0:
            p.error(f"--{name} {getattr(a, name)} is negative: give an image count >= 0")
    if a.workers < 1:
        p.error(f"--workers {a.workers} must be >= 1")
    if not 0 <= a.defect_share <= 1:
        p.error(f"--defect-share {a.defect_share} is outside 0..1")
    if a.pcb_share is not None and not 0 <= a.pcb_share <= 1:
        p.error(f"--pcb-share {a.pcb_share} is outside 0..1")
    test_seed = a.seed + 1 if a.test_seed is None else a.test_seed
    if test_seed == a.seed:
        p.error(f"--test-seed equals --seed ({a.seed}): the test split must come from a different seed")
    settings = RandomSceneSettings(a.width, a.height, a.px_per_mm, a.defect_share, pcb_share=a.pcb_share,
                                   defect_weights=a.defect_weights)
    counts = {k: v for k, v in (("train", a.train), ("val", a.val), ("test", a.test)) if v}
    print(build_dataset(a.out, counts, a.seed, test_seed, settings, a.workers))


if __name__ == "__main__":
    main()
