"""The renderer's ground truth agrees with its pixels: a defect changes the part only inside its box, a part covers
only its box, and the data-set command writes the same labels whatever the worker count."""
from dataclasses import replace

import numpy as np
import pytest
import yaml

from edgesight.apps.inspection.classes import CLASS_ID, CLASS_NAMES, DEFECT_CLASSES
from edgesight.apps.inspection.sim.belt import BeltRenderer
from edgesight.apps.inspection.sim.dataset import RandomSceneSettings, build_dataset, main
from edgesight.apps.inspection.sim.part_renderer import PartRenderer
from edgesight.apps.inspection.sim.parts import PartSampler, PartSpec
from edgesight.apps.inspection.sim.scene import SceneComposer


@pytest.mark.parametrize("kind", ["disc", "pcb"])
@pytest.mark.parametrize("defect", DEFECT_CLASSES)
def test_defect_changes_pixels_only_inside_its_box(kind: str, defect: str) -> None:
    renderer = PartRenderer(px_per_mm=1.6)
    for seed in range(3):
        good = PartSpec(0, kind, (80.0, 80.0) if kind == "disc" else (90.0, 60.0), 33.0 * seed, seed, ())
        bad = replace(good, defects=(defect,))
        a, b = renderer.render(good), renderer.render(bad)
        assert a.bgr.shape == b.bgr.shape
        assert b.defect_class.tolist() == [CLASS_ID[defect]]
        changed = np.abs(a.bgr - b.bgr).max(axis=2) * np.maximum(a.alpha, b.alpha) > 8
        ys, xs = np.nonzero(changed)
        assert len(xs) > 4, f"{defect} on {kind} seed {seed} left no visible trace"
        x0, y0, x1, y1 = b.defect_xyxy[0]
        inside = (xs >= x0 - 2) & (xs <= x1 + 1) & (ys >= y0 - 2) & (ys <= y1 + 1)
        assert inside.mean() > 0.97, f"{defect} on {kind}: {1 - inside.mean():.1%} of changed pixels outside its box"
        # Small but not tiny: a few millimetres up to a few centimetres.
        assert 4 <= max(x1 - x0, y1 - y0) <= 70


def test_part_box_bounds_the_part() -> None:
    renderer, sampler = PartRenderer(1.6), PartSampler(defect_share=0.5)
    rng = np.random.default_rng(1)
    for i in range(10):
        s = renderer.render(sampler.sample(rng, i))
        ys, xs = np.nonzero(s.alpha > 0.05)
        assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == tuple(s.part_xyxy.astype(int))
        for box in s.defect_xyxy:
            assert box[0] >= s.part_xyxy[0] - 2 and box[2] <= s.part_xyxy[2] + 2


def test_scene_truth_matches_composited_frame() -> None:
    rng = np.random.default_rng(5)
    belt = BeltRenderer(640, 480, rng)
    renderer, sampler = PartRenderer(1.6), PartSampler(defect_share=1.0)
    sprites = [renderer.render(sampler.sample(rng, i)) for i in range(2)]
    placed = [(sprites[0], -40, 60), (sprites[1], 300, 200)]
    background = belt.view(0)
    frame, truth = SceneComposer().compose(belt.view(0), placed)
    parts = truth.xyxy[truth.class_id == CLASS_ID["part"]]
    assert truth.part_id[truth.class_id == CLASS_ID["part"]].tolist() == [0, 1]
    changed = np.abs(frame - background).max(axis=2) > 1
    covered = np.zeros_like(changed)
    for x0, y0, x1, y1 in parts.astype(int):
        covered[max(y0 - 12, 0):y1 + 12, max(x0 - 12, 0):x1 + 12] = True  # soft shadow reaches past the part
    assert not (changed & ~covered).any()
    assert parts[0, 0] == 0.0  # clipped at the frame edge


def test_dataset_is_labelled_reproducible_and_worker_independent(tmp_path) -> None:
    settings = RandomSceneSettings(defect_share=0.8)
    counts = {"train": 6, "val": 2, "test": 2}
    one = build_dataset(tmp_path / "one", counts, seed=0, test_seed=1, settings=settings, workers=1)
    two = build_dataset(tmp_path / "two", counts, seed=0, test_seed=1, settings=settings, workers=2)
    data = yaml.safe_load(one.read_text())
    assert list(data["names"].values()) == list(CLASS_NAMES)
    labels = sorted((tmp_path / "one" / "labels").rglob("*.txt"))
    assert len(labels) == 10
    for path in labels:
        assert path.read_text() == (tmp_path / "two" / path.relative_to(tmp_path / "one")).read_text()
    rows = [line.split() for p in labels for line in p.read_text().splitlines()]
    classes = {int(r[0]) for r in rows}
    assert CLASS_ID["part"] in classes and classes & {CLASS_ID[c] for c in DEFECT_CLASSES}
    assert all(0 <= float(v) <= 1 for r in rows for v in r[1:])


def test_test_split_must_come_from_another_seed(tmp_path) -> None:
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--seed", "3", "--test-seed", "3"])


def test_a_pcb_share_leans_the_training_mix_and_leaves_the_held_out_split_alone(tmp_path) -> None:
    rng = np.random.default_rng(3)
    kinds = [PartSampler(pcb_share=0.8).sample(rng, i).kind for i in range(2000)]
    assert 0.76 < kinds.count("pcb") / len(kinds) < 0.84
    with pytest.raises(ValueError, match="pcb_share"):
        PartSampler(pcb_share=1.5)

    _assert_only_training_splits_change(tmp_path, RandomSceneSettings(pcb_share=0.9))


def test_defect_weights_lean_the_defect_classes_and_leave_the_held_out_split_alone(tmp_path) -> None:
    rng = np.random.default_rng(4)
    sampler = PartSampler(defect_share=1.0, second_defect_share=0.0, defect_weights={"missing_feature": 3.0})
    drawn = [sampler.sample(rng, i).defects[0] for i in range(3000)]
    assert 0.37 < drawn.count("missing_feature") / len(drawn) < 0.49  # 3 of 7
    assert 0.10 < drawn.count("scratch") / len(drawn) < 0.19  # 1 of 7
    with pytest.raises(ValueError, match="not defect classes"):
        PartSampler(defect_weights={"hole": 2.0})
    with pytest.raises(ValueError, match="must be > 0"):
        PartSampler(defect_weights={"crack": 0.0})
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path / "bad"), "--defect-weights", "missing_feature=two"])

    _assert_only_training_splits_change(tmp_path, RandomSceneSettings(defect_weights=(("missing_feature", 3.0),)))


def _assert_only_training_splits_change(tmp_path, leaning: RandomSceneSettings) -> None:
    """A training mix renders other train images from the same seed and the very same held-out test split."""
    counts = {"train": 4, "test": 3}
    even = build_dataset(tmp_path / "even", counts, seed=0, test_seed=1, settings=RandomSceneSettings())
    leant = build_dataset(tmp_path / "leant", counts, seed=0, test_seed=1, settings=leaning)
    for split, same in (("test", True), ("train", False)):
        a = [p.read_text() for p in sorted((even.parent / "labels" / split).glob("*.txt"))]
        b = [p.read_text() for p in sorted((leant.parent / "labels" / split).glob("*.txt"))]
        assert (a == b) is same, split
