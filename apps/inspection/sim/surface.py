"""An unrotated, drawn part before defects are painted on: colour, coverage, where defects may go and the footprint
of a deliberately left-out feature (the missing-feature defect)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(slots=True)
class PartSurface:
    bgr: np.ndarray  # float32 HxWx3, 0..255
    alpha: np.ndarray  # float32 HxW, 0..1; 0 in through-holes so the belt shows through
    paintable: np.ndarray  # bool HxW: solid surface where a surface defect may be painted
    material: str  # "metal" or "soldermask": decides how defects look on it
    missing: np.ndarray | None = None  # bool HxW footprint of the left-out feature, if any


def disc_mask(shape: tuple[int, int], cx: float, cy: float, r: float) -> np.ndarray:
    """Anti-aliased coverage (0..1) of a disc of radius r."""
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    return np.clip(r - np.hypot(xx - cx, yy - cy) + 0.5, 0.0, 1.0)
