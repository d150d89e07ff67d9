"""The controller service's configuration file (YAML), validated: errors name the key, the cause and the fix.

    id: ctl1                         # this controller's id in event topics
    bus: {site_id: site1, node_id: edge1, broker_url: mqtt://127.0.0.1:1883}
    intersection: {net: intersection.net.xml, tls_id: C}   # signal groups and conflicts from a SUMO network
    algorithm: max-pressure          # fixed | webster | max-pressure
    timings: {min_green_s: 5, max_green_s: 60, yellow_s: 3, all_red_s: 2}
    stale_after_s: 10
    lanes: {cam-south/sb_1: south_in_0, cam-south/sb_2: south_in_1}   # "<camera>/<lane>": controller lane
    sumo: {host: 127.0.0.1, port: 8813, order: 2}   # the adapter: join this SUMO simulation as a TraCI client
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edgesight.core.bus.config import BusConfig
from edgesight.core.events import Id

from edgesight.apps.traffic.control.algorithms import ALGORITHMS
from edgesight.apps.traffic.control.timings import SafetyTimings


class IntersectionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    net: Path
    tls_id: str | None = None


class TimingsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_green_s: float = 5.0
    max_green_s: float = 60.0
    yellow_s: float = 3.0
    all_red_s: float = 2.0

    def timings(self) -> SafetyTimings:
        return SafetyTimings(**self.model_dump())


class SumoAdapterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)]
    order: Annotated[int, Field(ge=1)] = 2


class ControllerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id = "ctl1"
    bus: BusConfig
    intersection: IntersectionConfig
    algorithm: Literal[ALGORITHMS] = "max-pressure"  # type: ignore[valid-type]
    timings: TimingsConfig = TimingsConfig()
    stale_after_s: Annotated[float, Field(gt=0)] = 10.0
    lanes: dict[str, str] = Field(min_length=1)
    sumo: SumoAdapterConfig

    @model_validator(mode="after")
    def _sound(self) -> ControllerConfig:
        self.timings.timings()
        if not self.intersection.net.is_file():
            raise ValueError(f"intersection.net {self.intersection.net}: file not found; give the SUMO .net.xml")
        return self


def load_controller_config(path: Path) -> ControllerConfig:
    """Read and validate; relative paths in the file are taken relative to the file's folder."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"controller config {path}: cannot read it ({error})") from None
    if not isinstance(raw, dict):
        raise ValueError(f"controller config {path}: expected a mapping of settings at the top level")
    net = raw.get("intersection", {}).get("net") if isinstance(raw.get("intersection"), dict) else None
    if isinstance(net, str) and not Path(net).is_absolute():
        raw["intersection"]["net"] = str(path.parent / net)
    try:
        return ControllerConfig.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise ValueError(f"controller config {path}: {where}: {first['msg']}") from None
