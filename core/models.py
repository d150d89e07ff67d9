"""What ships inside the package: the detectors in models/ (models/README.md says how each was built) and the
demo media in assets/."""
from __future__ import annotations

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = PACKAGE_ROOT / "models"
ASSETS_DIR = PACKAGE_ROOT / "assets"


def bundled_model(name: str) -> Path:
    path = MODELS_DIR / f"{name}.onnx"
    if not path.is_file():
        shipped = sorted(p.stem for p in MODELS_DIR.glob("*.onnx")) or ["none"]
        raise FileNotFoundError(f"bundled model '{name}' not found in {MODELS_DIR} (shipped: {', '.join(shipped)}); "
                                f"rebuild it with `edgesight train <app>` or pass --model")
    return path


def bundled_asset(name: str) -> Path:
    path = ASSETS_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"bundled file {path} is missing: reinstall EdgeSight or pass your own --source")
    return path
