"""What a part on the line is: its type, size, orientation and the defects it carries (the per-part ground truth).

Every appearance detail is drawn from `seed`, so the same part renders identically in every frame it appears in."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classes import DEFECT_CLASSES

PART_KINDS: tuple[str, ...] = ("disc", "pcb")


@dataclass(frozen=True, slots=True)
class PartSpec:
    part_id: int
    kind: str  # one of PART_KINDS
    size_mm: tuple[float, float]  # disc: (diameter, diameter); pcb: (length along the belt, width across it)
    angle_deg: float  # in-plane rotation on the belt
    seed: int
    defects: tuple[str, ...]  # defect class names it carries; empty for a good part

    @property
    def defective(self) -> bool:
        return bool(self.defects)


def defect_probabilities(weights: dict[str, float]) -> np.ndarray:
    """Probabilities over DEFECT_CLASSES from relative weights (1 for a class not named)."""
    unknown = sorted(set(weights) - set(DEFECT_CLASSES))
    if unknown:
        raise ValueError(f"defect_weights names {unknown}, not defect classes: choose from {DEFECT_CLASSES}")
    bad = {k: v for k, v in weights.items() if not v > 0}
    if bad:
        raise ValueError(f"defect_weights {bad}: every weight must be > 0 (leave a class out to keep it at 1)")
    w = np.array([float(weights.get(c, 1.0)) for c in DEFECT_CLASSES])
    return w / w.sum()


class PartSampler:
    """Draws random parts: a `defect_share` of them carry one or two defects of uniformly chosen classes. Part kinds
    are equally likely unless `pcb_share` sets the share of PCBs, and defect classes unless `defect_weights` (class
    name -> relative weight, 1 for a class not named) makes some more likely: a training mix can lean towards what
    the detector finds hardest (small defects among a board's traces and components, missing features)."""

    def __init__(self, defect_share: float = 0.1, kinds: tuple[str, ...] = PART_KINDS, second_defect_share: float = 0.2,
                 pcb_share: float | None = None, defect_weights: dict[str, float] | None = None):
        if not 0.0 <= defect_share <= 1.0:
            raise ValueError(f"defect_share={defect_share} is outside 0..1: give the fraction of defective parts")
        unknown = set(kinds) - set(PART_KINDS)
        if unknown or not kinds:
            raise ValueError(f"part kinds {sorted(unknown) or '[]'} not known: choose from {PART_KINDS}")
        if pcb_share is not None and (not 0.0 <= pcb_share <= 1.0 or set(kinds) != set(PART_KINDS)):
            raise ValueError(f"pcb_share={pcb_share} needs both part kinds {PART_KINDS} and a fraction in 0..1")
        self.defect_share = defect_share
        self.kinds = tuple(kinds)
        self.second_defect_share = second_defect_share
        self.pcb_share = pcb_share
        self.defect_p = None if not defect_weights else defect_probabilities(defect_weights)

    def sample(self, rng: np.random.Generator, part_id: int) -> PartSpec:
        if self.pcb_share is None:
            # Equal kinds keep this draw, so the recorded seeds and held-out splits render as they always have.
            kind = self.kinds[int(rng.integers(len(self.kinds)))]
        else:
            kind = "pcb" if rng.random() < self.pcb_share else "disc"
        if kind == "disc":
            d = float(rng.uniform(60.0, 100.0))
            size = (d, d)
        else:
            size = (float(rng.uniform(70.0, 105.0)), float(rng.uniform(45.0, 68.0)))
        defects: tuple[str, ...] = ()
        if rng.random() < self.defect_share:
            n = 2 if rng.random() < self.second_defect_share else 1
            # Without weights the call keeps its old form, so recorded seeds and held-out splits render as before.
            drawn = rng.choice(DEFECT_CLASSES, size=n, replace=False) if self.defect_p is None else \
                rng.choice(DEFECT_CLASSES, size=n, replace=False, p=self.defect_p)
            defects = tuple(str(c) for c in drawn)
        return PartSpec(part_id=part_id, kind=kind, size_mm=size, angle_deg=float(rng.uniform(0.0, 360.0)),
                        seed=int(rng.integers(2**31 - 1)), defects=defects)
