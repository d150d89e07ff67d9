"""The detector's class list for the inspection line: one 'part' class (boxes to track and judge parts by) and the
defect classes. The order is the model's class ids, so training, the simulator and verdicts all import it from here."""
from __future__ import annotations

PART_CLASS = "part"
DEFECT_CLASSES: tuple[str, ...] = ("scratch", "crack", "dent", "stain", "missing_feature")
CLASS_NAMES: tuple[str, ...] = (PART_CLASS, *DEFECT_CLASSES)
CLASS_ID: dict[str, int] = {name: i for i, name in enumerate(CLASS_NAMES)}
PART_CLASS_ID = CLASS_ID[PART_CLASS]
