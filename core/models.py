"""The detectors shipped with EdgeSight (models/ at the package root; models/README.md says how each was built)."""
from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


def bundled_model(name: str) -> Path:
    path = MODELS_DIR / f"{name}.onnx"
    if not path.is_file():
        shipped = sorted(p.stem for p in MODELS_DIR.glob("*.onnx")) or ["none"]
        raise FileNotFoundError(f"bundled model '{name}' not found in {MODELS_DIR} (shipped: {', '.join(shipped)}); "
                                f"rebuild it with `edgesight train <app>` or pass --model")
    return path
