"""Render -> train -> export -> evaluate for one app's detector, with Ultralytics (the `train` extra).

Runs anywhere ultralytics and torch are installed; on a GPU box it needs nothing else of EdgeSight's runtime
(the renderers use only numpy and OpenCV), so the same command trains on a workstation or a rented GPU:

    python -m edgesight.core.training.train traffic --out runs/traffic --device 0

The ONNX file and a JSON summary (held-out mAP per class) land in --out; `edgesight train` copies them to
models/ and rewrites models/README.md from the summaries.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class AppRecipe:
    """How one app's detector is built: which renderer makes its data and how it is trained."""
    dataset_module: str | None  # renderer run as `python -m MODULE --out DIR --train N --val N --test N --seed S`;
    # None: a real Pascal VOC set given with --source (see voc.py)
    model_name: str  # the file name under models/
    imgsz: int
    epochs: int
    train_images: int
    val_images: int
    test_images: int
    architecture: str = "yolov8n.yaml"  # trained from scratch: no pretrained weights can be downloaded here; a
    # stock Ultralytics model file, or one of ours in architectures/
    hours: float | None = None  # wall-clock training budget (the schedule is fitted to it); None: `epochs`
    dataset_args: tuple[str, ...] = ()  # extra renderer options (camera scale, ...)
    held_out: str = "test split rendered from another seed"  # what makes the test split unseen, for models/README.md
    int8: bool = False  # ship a static INT8 (QDQ) copy calibrated on the validation renders instead of the FP32 file


ARCHITECTURES = Path(__file__).with_name("architectures")

RECIPES = {
    # 18 minutes on one H200 (about 120 epochs); `epochs` applies only when --epochs is given.
    "traffic": AppRecipe("edgesight.apps.traffic.sim.dataset", "traffic_vehicles", imgsz=640, epochs=120,
                         train_images=5000, val_images=300, test_images=300, architecture="yolo11n.yaml", hours=0.3,
                         held_out="test split rendered with seed 2 from a camera pose never used in training: pole at "
                                  "(-11, -42) m, 13.5 m high, aimed at (1.5, -6), 62 deg horizontal field of view"),
    # Defects are small: the camera is zoomed so a part fills a quarter of the frame, and training runs long.
    # A training mix leaning towards PCBs (`--pcb-share 0.67`, where the escaped defects were) was tried and did not
    # catch more of them (README, Inspection); both kinds stay equally likely. Nor did one leaning towards the
    # classes that escape (`--defect-weights missing_feature=2.5,scratch=1.5`), nor a square view at 3.2 px/mm
    # (`--render-option=--px-per-mm=3.2 --render-option=--height=640`: more missing features escaped). The escapes
    # follow the detector's size: YOLO11s misses half as many defective parts as YOLO11n did at the same false
    # rejects, and in INT8 it costs the 2-core box 1.3x what YOLO11n cost in FP32. 8000 renders for 18 minutes
    # (64 epochs on one H100) rejected fewer good parts at the same escapes than 5000 for 15 minutes (90 epochs on
    # one H200). YOLO11m (`--architecture yolo11m.yaml`, 57 epochs in the same budget on one H100) let as many defective
    # parts through as YOLO11s at 1.8x the cost a frame, so the recipe stays YOLO11s.
    "inspection": AppRecipe("edgesight.apps.inspection.sim.dataset", "inspection_defects", imgsz=640, epochs=64,
                            train_images=8000, val_images=300, test_images=300, dataset_args=("--px-per-mm", "2.4"),
                            architecture="yolo11s.yaml", hours=0.3, int8=True,
                            held_out="test split rendered with seed 1 (train 0), camera at 2.4 px/mm"),
    # Real steel-surface images (NEU-DET): no licence to redistribute, so this model is rebuilt locally, never shipped.
    "neu-det": AppRecipe(None, "neu_det_defects", imgsz=256, epochs=150, train_images=0, val_images=0,
                         test_images=0),
}


def build_dataset(recipe: AppRecipe, data_dir: Path, seed: int, workers: int, source: Path | None) -> Path:
    if recipe.dataset_module is None:
        if source is None:
            raise SystemExit(f"{recipe.model_name}: give the labelled set with --source DIR (images/ + annotations/)")
        from .voc import convert

        return convert(source, data_dir, seed=seed)
    cmd = [sys.executable, "-m", recipe.dataset_module, "--out", str(data_dir), "--train", str(recipe.train_images),
           "--val", str(recipe.val_images), "--test", str(recipe.test_images), "--seed", str(seed),
           "--workers", str(workers), *recipe.dataset_args]
    subprocess.run(cmd, check=True)
    return data_dir / "data.yaml"


def _device_name(device: str) -> str:
    import torch

    return "CPU" if device == "cpu" else f"{torch.cuda.get_device_name(int(device.split(',')[0]))} (cuda:{device})"


def last_checkpoint(recipe: AppRecipe, out: Path) -> Path:
    return out / "runs" / recipe.model_name / "weights" / "last.pt"


def _training_seconds(results_csv: Path) -> float | None:
    """Wall clock over all sessions of a run: ultralytics' `time` column restarts from 0 in a resumed session."""
    if not results_csv.is_file():
        return None
    import csv

    times = [float(row["time"]) for row in csv.DictReader(results_csv.open()) if row.get("time")]
    return sum(a for a, b in zip(times, times[1:] + [0.0]) if b < a) if times else None


def train_and_export(recipe: AppRecipe, data_yaml: Path, out: Path, device: str, epochs: int, batch: int,
                     workers: int, hours: float | None = None, cache: str | bool = False,
                     resume: bool = False) -> dict:
    """Train (for `epochs`, or for `hours` of wall clock with the schedule fitted to it), export ONNX and
    evaluate the ONNX file on the held-out test split. `resume` goes on from the run's last epoch instead (its
    epochs and schedule come from the checkpoint)."""
    os.environ.setdefault("YOLO_OFFLINE", "1")  # ultralytics probes public DNS at import otherwise
    from ultralytics import YOLO

    t0 = time.time()
    if resume:
        import torch

        checkpoint = last_checkpoint(recipe, out)
        # A finished run's last.pt keeps epoch -1; ultralytics, asked to resume it, quietly starts a new run with
        # its own defaults (seen: 100 epochs at batch 16 from the finished weights).
        if torch.load(checkpoint, map_location="cpu", weights_only=False).get("epoch", -1) < 0:
            raise SystemExit(f"--resume: the run in {out} finished, nothing to resume ({checkpoint} is its final "
                             "checkpoint); train again without --resume, into another --out")
        model = YOLO(str(checkpoint))
        # time=None: a run trained to a time budget saved the epoch count it fitted to that budget, and the
        # resumed session must keep it. With the budget still set, ultralytics refits the total to budget / this
        # session's epoch time as if no epoch had been trained yet, which stopped a 70-epoch run at epoch 38.
        model.train(resume=True, data=str(data_yaml), device=device, workers=workers, cache=cache, time=None)
    else:
        ours = ARCHITECTURES / recipe.architecture
        model = YOLO(str(ours) if ours.is_file() else recipe.architecture)
        # project is absolute: ultralytics 8.4 files a relative one under its own runs/detect/, where
        # last_checkpoint() would not find it.
        model.train(data=str(data_yaml), epochs=epochs, imgsz=recipe.imgsz, batch=batch, device=device,
                    workers=workers, project=str((out / "runs").resolve()), name=recipe.model_name, plots=False,
                    verbose=False, exist_ok=True, seed=0, deterministic=False, cache=cache,
                    **({"time": hours} if hours else {}))
    train_s = _training_seconds(Path(model.trainer.save_dir) / "results.csv") or time.time() - t0
    epochs = model.trainer.epoch + 1  # with a time budget, the epochs that fitted in it
    best = YOLO(str(Path(model.trainer.best)))
    onnx_path = Path(best.export(format="onnx", imgsz=recipe.imgsz, simplify=False, dynamic=False, opset=17))
    target = out / f"{recipe.model_name}.onnx"
    shutil.copy(onnx_path, target)
    shutil.copy(model.trainer.best, out / f"{recipe.model_name}.pt")

    # A resumed run's model file is the checkpoint's, whatever --architecture says now.
    architecture = Path(getattr(best.model, "yaml", {}).get("yaml_file") or recipe.architecture).name
    return {"model": target.name, "architecture": architecture, "imgsz": recipe.imgsz, "epochs": epochs,
            "train_seconds": round(train_s, 1), "device": _device_name(device), "hours": hours,
            **held_out_figures(target, data_yaml, recipe.imgsz), "onnx_bytes": target.stat().st_size}


def held_out_figures(onnx_path: Path, data_yaml: Path, imgsz: int) -> dict:
    """mAP of an ONNX file on the test split, which is rendered from another seed and camera pose than train/val."""
    from ultralytics import YOLO

    with _edgesight_session_options():
        metrics = YOLO(str(onnx_path), task="detect").val(data=str(data_yaml), split="test", imgsz=imgsz, batch=1,
                                                           device="cpu", plots=False, verbose=False, conf=0.001,
                                                           iou=0.6)
    names = metrics.names
    per_class = {names[int(c)]: {"map50": round(float(metrics.box.ap50[i]), 4), "map50_95": round(float(metrics.box.ap[i]), 4)}
                 for i, c in enumerate(metrics.box.ap_class_index)}
    return {"map50": round(float(metrics.box.map50), 4), "map50_95": round(float(metrics.box.map), 4),
            "per_class": per_class}


@contextmanager
def _edgesight_session_options() -> Iterator[None]:
    """Ultralytics opens its own ONNX Runtime session without options. Give it EdgeSight's, so an INT8 file is
    scored with the kernel the product runs it on: on a CPU without VNNI, ONNX Runtime's default INT8 kernel
    saturates and would score the file lower than any EdgeSight node sees it."""
    import onnxruntime

    try:
        from ..detect.detector import session_options
    except ImportError:  # a GPU box without EdgeSight's runtime scores FP32 files only: INT8 is made elsewhere
        yield
        return
    opened = onnxruntime.InferenceSession

    def with_options(path, sess_options=None, *args, **kwargs):
        return opened(path, sess_options or session_options(), *args, **kwargs)

    onnxruntime.InferenceSession = with_options
    try:
        yield
    finally:
        onnxruntime.InferenceSession = opened


def quantize_to_int8(recipe: AppRecipe, out: Path, data_yaml: Path, summary: dict,
                     calibration_images: int = 64) -> dict:
    """Replace the exported FP32 file in `out` by a static INT8 copy calibrated on validation renders (the
    camera's own kind of image), keep the FP32 file beside it, and score the INT8 file on the test split.
    Runs where EdgeSight's runtime is installed (onnxruntime's quantizer), on the CPU."""
    import cv2
    import numpy as np

    from ..detect.quantize import quantize_int8

    target = out / f"{recipe.model_name}.onnx"
    fp32 = target.with_suffix(".fp32.onnx")
    shutil.move(target, fp32)
    images = sorted((data_yaml.parent / "images" / "val").glob("*"))
    picked = [images[i] for i in np.linspace(0, len(images) - 1, min(calibration_images, len(images))).astype(int)]
    quantize_int8(fp32, [cv2.imread(str(p)) for p in picked], target)
    int8 = {"calibration": f"{len(picked)} validation renders",
            "fp32_map50": summary["map50"], "fp32_map50_95": summary["map50_95"], "fp32_onnx_bytes": summary["onnx_bytes"]}
    return {**summary, **held_out_figures(target, data_yaml, recipe.imgsz), "onnx_bytes": target.stat().st_size,
            "int8": int8}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", choices=sorted(RECIPES))
    parser.add_argument("--out", type=Path, required=True, help="work folder: data set, runs, results")
    parser.add_argument("--device", default="0", help="'0' for the first GPU, 'cpu' for the CPU")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="rendering processes")
    parser.add_argument("--loader-workers", type=int, help="training data-loader processes (default: --workers, at most 8)")
    parser.add_argument("--hours", type=float,
                        help="train for this much wall-clock time (default: the recipe's budget, unless --epochs); "
                             "rendering comes before it, ONNX export and the held-out evaluation on the CPU after "
                             "(about a minute for 300 images at 960)")
    parser.add_argument("--cache", choices=("ram", "disk", "none"), default="ram",
                        help="keep decoded training images in RAM (default) or on disk between epochs")
    parser.add_argument("--seed", type=int, default=0, help="render seed of train/val (test uses another)")
    parser.add_argument("--images", type=int, help="override the number of training images")
    parser.add_argument("--source", type=Path, help="real labelled set (Pascal VOC) for recipes that are not rendered")
    parser.add_argument("--resume", action="store_true",
                        help="go on with an interrupted run in --out (its data set and last epoch's checkpoint)")
    parser.add_argument("--imgsz", type=int, help="override the recipe's input size (a multiple of 32)")
    parser.add_argument("--render-option", action="append", default=[], metavar="OPTION",
                        help="extra renderer option, repeatable; a later one overrides the recipe's "
                             "(e.g. --render-option=--width=960 --render-option=--px-per-mm=3.6)")
    parser.add_argument("--architecture", help="override the recipe's model file: a stock Ultralytics one "
                        f"(yolo11n.yaml) or one of {', '.join(sorted(p.name for p in ARCHITECTURES.glob('*.yaml')))}")
    parser.add_argument("--quantize-only", action="store_true",
                        help="finish a run whose INT8 step could not run where it trained (a GPU box without "
                             "EdgeSight's runtime): quantize the FP32 export and rewrite the summary in --out, "
                             "rendering the validation and test splits again if they are not there")
    args = parser.parse_args(argv)

    recipe = RECIPES[args.app]
    if args.imgsz and args.imgsz % 32:
        parser.error(f"--imgsz {args.imgsz} is not a multiple of 32 (the detector's largest stride)")
    overrides = {"train_images": args.images, "architecture": args.architecture, "imgsz": args.imgsz}
    recipe = replace(recipe, **{k: v for k, v in overrides.items() if v})
    if args.render_option:
        recipe = replace(recipe, dataset_args=(*recipe.dataset_args, *args.render_option),
                         held_out=f"{recipe.held_out}; rendered with {' '.join(args.render_option)}")
    args.out.mkdir(parents=True, exist_ok=True)
    summary_path = args.out / f"{recipe.model_name}.json"
    if args.quantize_only:
        return quantize_finished_run(recipe, args.out, summary_path, args.seed, args.workers)
    if args.resume and not (checkpoint := last_checkpoint(recipe, args.out)).is_file():
        raise SystemExit(f"--resume: no interrupted run in {args.out} ({checkpoint} is missing)")
    blocker = int8_blocker() if recipe.int8 else None
    if blocker:  # said before the hours of training, not only after them
        print(f"note: {blocker}", file=sys.stderr)
    t0 = time.time()
    data_yaml = args.out / "data" / "data.yaml"
    if not (args.resume and data_yaml.is_file()):
        data_yaml = build_dataset(recipe, args.out / "data", args.seed, args.workers, args.source)
    render_s = time.time() - t0
    hours = args.hours or (None if args.epochs else recipe.hours)
    summary = train_and_export(recipe, data_yaml, args.out, args.device, args.epochs or recipe.epochs,
                               args.batch, args.loader_workers or min(args.workers, 8), hours,
                               False if args.cache == "none" else args.cache, args.resume)
    summary.update({"app": args.app, "render_seconds": round(render_s, 1), "train_images": recipe.train_images,
                    "render_options": list(recipe.dataset_args),
                    "rebuild": f"edgesight train {args.app}", "held_out": recipe.held_out})
    summary_path.write_text(json.dumps(summary, indent=2))
    if recipe.int8:
        if blocker:
            print(f"error: FP32 export and summary written to {args.out}, not quantized: {blocker}", file=sys.stderr)
            return 3
        summary = quantize_to_int8(recipe, args.out, data_yaml, summary)
        summary_path.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


def int8_blocker() -> str | None:
    """Why the INT8 step cannot run on this machine (EdgeSight's runtime is missing), or None."""
    try:
        from ..detect import quantize  # noqa: F401
    except ImportError as missing:
        return (f"the INT8 step needs EdgeSight's runtime ({missing}); finish with the same command and "
                "--quantize-only where `pip install -e '.[train]'` is done")
    return None


def quantize_finished_run(recipe: AppRecipe, out: Path, summary_path: Path, seed: int, workers: int) -> int:
    model = out / f"{recipe.model_name}.onnx"
    if not recipe.int8:
        raise SystemExit(f"--quantize-only: the {recipe.model_name} recipe ships its FP32 export; there is no INT8 step")
    if not (summary_path.is_file() and model.is_file()):
        raise SystemExit(f"--quantize-only: no finished run in {out} ({model.name} and {summary_path.name} are "
                         "needed): train first")
    if blocker := int8_blocker():
        raise SystemExit(f"--quantize-only: {blocker}")
    summary = json.loads(summary_path.read_text())
    if "int8" in summary:
        raise SystemExit(f"--quantize-only: {model} is INT8 already (its FP32 source: {model.with_suffix('.fp32.onnx')})")
    data_yaml = out / "data" / "data.yaml"
    if not data_yaml.is_file():  # trained on another machine: the same seeds render the same validation/test images
        data_yaml = build_dataset(replace(recipe, train_images=0), out / "data", seed, workers, None)
    summary = quantize_to_int8(recipe, out, data_yaml, summary)
    summary_path.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
