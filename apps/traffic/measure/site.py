"""A camera site's measurement geometry, in image pixels: lanes as polygons, counting and stop lines, the
approaches for turning movements, and four point pairs that tie the road plane (metres) to the image.

Loaded from YAML (see apps/traffic/sites/); every error names the key that is wrong, e.g.
`site sim-south.yaml: lanes.2.polygon: needs at least 3 points`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edgesight.core.track import TrackerConfig

Point = tuple[float, float]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]  # safe as an event id and MQTT level


class GroundPlaneConfig(BaseModel):
    """Four image points and the same points on the road in metres (any flat x/y frame, e.g. SUMO's)."""
    model_config = ConfigDict(extra="forbid")

    image: list[Point] = Field(min_length=4, max_length=4)
    world: list[Point] = Field(min_length=4, max_length=4)

    @model_validator(mode="after")
    def _not_degenerate(self) -> GroundPlaneConfig:
        for key in ("image", "world"):
            pts = np.array(getattr(self, key), dtype=float)
            for i in range(4):
                a, b, c = np.delete(pts, i, axis=0)
                if abs((b - a)[0] * (c - a)[1] - (b - a)[1] * (c - a)[0]) < 1e-6:
                    raise ValueError(f"ground_plane.{key}: three of the four points lie on one line; spread them over the road")
        return self


class LaneConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    polygon: list[Point] = Field(min_length=3, description="the lane's road surface in the image, clockwise or not")
    direction: Literal["in", "out"] = Field("in", description="in: towards the junction (or the counting line's in side)")
    approach: Name | None = Field(None, description="the approach (arm) this lane belongs to; needed for queues and turns")
    detector: list[Point] | None = Field(None, min_length=3, description="occupancy zone; the whole lane when absent")


class LineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: Literal["count", "stop"] = "count"
    start: Point
    end: Point
    in_towards: Point | None = Field(None, description="a point on the side a vehicle reaches when crossing 'in'")
    counts: Literal["both", "in", "out"] = Field(
        "both", description="the direction(s) a counting line counts: a site may count entering vehicles on one "
        "line and leaving ones on another, each where that direction is seen best")
    approach: Name | None = Field(None, description="for a stop line: the approach whose queues it ends; for a "
                                  "counting line: the approach it counts")

    @model_validator(mode="after")
    def _usable(self) -> LineConfig:
        if np.hypot(self.end[0] - self.start[0], self.end[1] - self.start[1]) < 2:
            raise ValueError("start and end are the same point; a line needs two distinct ends")
        if self.kind == "count" and self.in_towards is None:
            raise ValueError("in_towards is missing: a counting line needs the point it counts 'in' towards")
        if self.kind == "count" and self.in_towards is not None and abs(self.side_of(self.in_towards)) < 1e-6:
            raise ValueError("in_towards lies on the line itself; put it on the side vehicles reach when entering")
        if self.kind == "stop" and self.approach is None:
            raise ValueError("approach is missing: a stop line ends the queues of one approach")
        return self

    def side_of(self, point: Point) -> float:
        (x0, y0), (x1, y1) = self.start, self.end
        return (x1 - x0) * (point[1] - y0) - (y1 - y0) * (point[0] - x0)


class ApproachConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    bearing_deg: float = Field(ge=0, lt=360, description="compass direction of the arm seen from the junction (north = 0)")


class SiteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    image_size: tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]]  # width, height the geometry is drawn for
    ground_plane: GroundPlaneConfig
    lanes: list[LaneConfig] = Field(min_length=1)
    lines: list[LineConfig] = Field(default_factory=list)
    approaches: list[ApproachConfig] = Field(default_factory=list)
    stopped_speed_kmh: float = Field(5.0, gt=0, description="at or below this a vehicle counts as queued")
    queue_max_spacing_m: float = Field(20.0, gt=0, description="a longer bumper-to-bumper step ends a queue")
    tracker: TrackerConfig = Field(default_factory=TrackerConfig, description="ByteTrack settings for this camera")
    speed_window_s: float = Field(1.0, gt=0, description="speed is the displacement over this window; at low "
                                  "frame rates make it span at least two frames")
    flow_window_s: float = Field(60.0, gt=0, description="flow is the rate over this trailing window (or over the "
                                 "report interval, when that is longer), so short intervals do not report spikes")

    @model_validator(mode="after")
    def _consistent(self) -> SiteConfig:
        _unique("lanes", [lane.name for lane in self.lanes])
        _unique("lines", [line.name for line in self.lines])
        _unique("approaches", [a.name for a in self.approaches])
        approaches = {a.name for a in self.approaches}
        w, h = self.image_size
        for i, lane in enumerate(self.lanes):
            if lane.approach is not None and lane.approach not in approaches:
                raise ValueError(f"lanes.{i}.approach: {lane.approach!r} is not one of approaches {sorted(approaches)}")
            for key in ("polygon", "detector"):
                _inside(f"lanes.{i}.{key}", getattr(lane, key) or [], w, h)
        for i, line in enumerate(self.lines):
            if line.approach is not None and line.approach not in approaches:
                raise ValueError(f"lines.{i}.approach: {line.approach!r} is not one of approaches {sorted(approaches)}")
            _inside(f"lines.{i}", [line.start, line.end], w, h)
        return self

    def lanes_of(self, approach: str, direction: str) -> list[LaneConfig]:
        return [lane for lane in self.lanes if lane.approach == approach and lane.direction == direction]

    @classmethod
    def load(cls, path: str | Path) -> SiteConfig:
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"site {path}: not found; pass a site YAML such as apps/traffic/sites/sim-south.yaml")
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise ValueError(f"site {path.name}: not valid YAML ({str(exc).splitlines()[0]})") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            raise ValueError(f"site {path.name}: {where + ': ' if where else ''}{message}") from None


def _unique(key: str, names: list[str]) -> None:
    seen = set()
    for i, name in enumerate(names):
        if name in seen:
            raise ValueError(f"{key}.{i}.name: {name!r} is used twice; names must be unique")
        seen.add(name)


def _inside(key: str, points: list[Point], w: int, h: int) -> None:
    for j, (x, y) in enumerate(points):
        if not (-1 <= x <= w + 1 and -1 <= y <= h + 1):
            raise ValueError(f"{key}.{j}: ({x:g}, {y:g}) lies outside the {w}x{h} image; check the point or image_size")
