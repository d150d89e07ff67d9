"""models/README.md: how each shipped model was built and how well it does, written from the training summaries.

Every summary (`models/<name>.json`, written by train.py) becomes one section; the page is regenerated whole so
it never drifts from the files beside it.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..models import MODELS_DIR

HEADER = """# Shipped models

Detectors built by this project from its own renderings (no downloaded weights). Each was trained from scratch
with Ultralytics (architecture below) on a labelled set rendered by the app's simulator, exported to ONNX (opset
17, static 1x3x640x640), and evaluated on a **held-out** split. mAP figures are Ultralytics' `val` on the exported ONNX file
(conf 0.001, IoU 0.6).

Rebuild one end to end (renders, trains, exports, evaluates and rewrites this page; needs `pip install -e
'.[train]'` and preferably a GPU):

    edgesight train traffic --device 0
    edgesight train inspection --device 0

A model trained on the NEU-DET real steel images is never shipped (those images carry no licence to redistribute);
`edgesight train neu-det --source ../shared/realdata/defects/neu_det` rebuilds it locally.
"""


def section(summary: dict) -> str:
    rows = "\n".join(f"| {name} | {v['map50']:.3f} | {v['map50_95']:.3f} |" for name, v in summary["per_class"].items())
    budget = f" ({summary['hours'] * 60:.0f}-minute training budget)" if summary.get("hours") else ""
    return f"""
## `{summary['model']}` ({summary['app']})

- Architecture: {summary['architecture']}, input {summary['imgsz']}x{summary['imgsz']}, {summary['epochs']} epochs{budget} on
  {summary['train_images']} rendered images ({summary['train_seconds']:.0f} s on {summary['device']}, rendering
  {summary['render_seconds']:.0f} s); ONNX {summary['onnx_bytes'] / 1e6:.1f} MB.
- Held-out: {summary.get('held_out', 'test split rendered from another seed')}.
- Held-out figures: **mAP50 {summary['map50']:.3f}, mAP50-95 {summary['map50_95']:.3f}**.{_int8_line(summary)}
- Rebuild: `{summary['rebuild']}`

| class | mAP50 | mAP50-95 |
| --- | --- | --- |
{rows}
"""


def _int8_line(summary: dict) -> str:
    int8 = summary.get("int8")
    if not int8:
        return ""
    return f"""
- Shipped as static INT8 (QDQ, `edgesight quantize`'s method) calibrated on {int8['calibration']}: the figures
  above and below are the INT8 file's; the FP32 export scored mAP50 {int8['fp32_map50']:.3f}, mAP50-95
  {int8['fp32_map50_95']:.3f} ({int8['fp32_onnx_bytes'] / 1e6:.1f} MB, kept in the training folder, not shipped)."""


def write_readme(models_dir: Path = MODELS_DIR) -> Path:
    summaries = [json.loads(p.read_text()) for p in sorted(models_dir.glob("*.json"))]
    text = HEADER
    text += "".join(section(s) for s in summaries)
    path = models_dir / "README.md"
    path.write_text(text)
    return path


def install_model(onnx_path: Path, summary_path: Path, models_dir: Path = MODELS_DIR) -> Path:
    """Copy a freshly trained model and its summary into models/ and regenerate the README."""
    models_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(onnx_path, models_dir / onnx_path.name)
    shutil.copy(summary_path, models_dir / summary_path.name)
    return write_readme(models_dir)
