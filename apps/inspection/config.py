"""The inspection app's settings for one line: camera calibration, belt and diverter geometry, part tracking,
per-class verdict thresholds and the reject controller. Loaded from a YAML file (see lines/sim.yaml)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .classes import DEFECT_CLASSES

Positive = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class CameraCalibration(BaseModel):
    """Top-down camera, image +x downstream, optical axis at the image centre column."""
    model_config = ConfigDict(extra="forbid")

    width: Annotated[int, Field(gt=0)] = 640
    height: Annotated[int, Field(gt=0)] = 480
    px_per_mm: Positive = 2.4  # the scale the shipped detector was trained at (+-15 %)

    def belt_mm(self, x_px: float) -> float:
        """Position along the belt (mm downstream of the camera axis) of image column x_px."""
        return (x_px - self.width / 2) / self.px_per_mm


class BeltGeometry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speed_mps: Positive = 0.7
    diverter_mm: Positive = 800.0  # diverter line, downstream of the camera axis
    width_mm: Positive = 190.0  # usable belt width, all of it in the camera's view

    @property
    def speed_mm_s(self) -> float:
        return self.speed_mps * 1000.0


class DetectionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Also run the model on each frame mirrored left to right and fuse the two views (core.detect.mirrored_views):
    # with the same thresholds, fewer escapes and fewer false rejects on the simulated line (README), for a second
    # model run per frame.
    mirrored_view: bool = False


class TrackingConfig(BaseModel):
    """Part association across frames (parts only move downstream at belt speed)."""
    model_config = ConfigDict(extra="forbid")

    part_confidence: Fraction = 0.4  # a part box below this is ignored
    min_overlap: Fraction = 0.5  # across the belt, between the belt-speed prediction and a detection
    edge_tolerance_px: Annotated[float, Field(gt=0)] = 40.0  # how far a part's seen end may be from its prediction
    max_missed_frames: Annotated[int, Field(ge=0)] = 3  # a part unseen this long while in view is closed
    min_frames: Annotated[int, Field(ge=1)] = 1  # a track seen fewer times is a false part, never judged
    min_visible_share: Fraction = 0.4  # a part with less than this left in view downstream is judged now


class ClassThreshold(BaseModel):
    """When the frames a part was seen in confirm a defect of one class: `min_frames` frames at or above
    `confidence`, or (a defect seen again being likelier real than one glimpse) `repeat_frames` frames at or above
    the lower `repeat_confidence`."""
    model_config = ConfigDict(extra="forbid")

    confidence: Fraction = 0.15  # a frame counts as evidence of this defect at or above this confidence
    min_frames: Annotated[int, Field(ge=1)] = 1  # frames of evidence needed (fewer if the part was seen less)
    repeat_confidence: Fraction | None = None  # None: no repeat rule
    repeat_frames: Annotated[int, Field(ge=2)] = 2

    @model_validator(mode="after")
    def _repeat_below_single(self) -> "ClassThreshold":
        if self.repeat_confidence is not None and self.repeat_confidence > self.confidence:
            raise ValueError(f"repeat_confidence {self.repeat_confidence} is above confidence {self.confidence}: "
                             f"the repeat rule is for evidence weaker than one frame needs")
        return self

    @property
    def lowest(self) -> float:
        """The lowest confidence at which a frame counts for anything."""
        return self.confidence if self.repeat_confidence is None else self.repeat_confidence


class VerdictConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    classes: dict[str, ClassThreshold] = Field(default_factory=lambda: {c: ClassThreshold() for c in DEFECT_CLASSES})
    # Worst first: the verdict names the worst confirmed class.
    severity: list[str] = Field(default_factory=lambda: ["crack", "missing_feature", "dent", "scratch", "stain"])
    crop_margin_px: Annotated[int, Field(ge=0)] = 8

    @model_validator(mode="after")
    def _known_classes(self) -> "VerdictConfig":
        unknown = (set(self.classes) | set(self.severity)) - set(DEFECT_CLASSES)
        if unknown:
            raise ValueError(f"verdict: unknown defect class(es) {sorted(unknown)}; the classes are {list(DEFECT_CLASSES)}")
        missing = set(DEFECT_CLASSES) - set(self.severity)
        if missing:
            raise ValueError(f"verdict.severity lacks {sorted(missing)}: list every defect class, worst first")
        self.classes = {c: self.classes.get(c, ClassThreshold()) for c in DEFECT_CLASSES}
        return self

    @property
    def lowest_confidence(self) -> float:
        """Below this no defect box counts for any class: the detector need not report it."""
        return min(c.lowest for c in self.classes.values())


class ControllerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actuation_lead_s: Annotated[float, Field(ge=0)] = 0.0  # the diverter needs the command this early
    remember_s: Positive = 600.0  # how long a part id is remembered against redelivered verdicts


class InspectionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")] = "line1"
    camera: CameraCalibration = CameraCalibration()
    belt: BeltGeometry = BeltGeometry()
    detection: DetectionConfig = DetectionConfig()
    tracking: TrackingConfig = TrackingConfig()
    verdict: VerdictConfig = VerdictConfig()
    controller: ControllerConfig = ControllerConfig()

    @classmethod
    def load(cls, path: str | Path) -> "InspectionConfig":
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"inspection config {path}: not found; pass a YAML file like apps/inspection/lines/sim.yaml")
        try:
            return cls.model_validate(yaml.safe_load(path.read_text()) or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"inspection config {path}: {where}: {first['msg']}") from None
