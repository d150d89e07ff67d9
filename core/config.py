"""Config files: YAML validated by pydantic, with errors that point at the bad key.

Each part owns its section model (cameras and model here, the bus and store in their packages, each app its own
section); this module only reads files and turns validation errors into messages a person can act on.
"""
from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A config file that cannot be used; one line per problem, each naming the key."""


def _key_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def format_validation_error(source: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling and its section)"
        lines.append(f"{source}: {_key_path(err['loc'])}: {msg}")
    return "\n".join(lines)


def load_yaml(path: str | Path, model: type[M]) -> M:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return validate(data, model, str(path))


def validate(data: dict, model: type[M], source: str = "config") -> M:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keys at the top level, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc)) from None


class StrictModel(BaseModel):
    """Base of every config section: unknown keys are errors, so a typo never silently falls back to a default."""
    model_config = ConfigDict(extra="forbid")


class CameraConfig(StrictModel):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$", description="camera id used in topics and the store")
    source: str = Field(description="video file, image folder, rtsp://... URL or USB index")
    pace: bool = Field(True, description="replay files at their own frame rate (False: as fast as possible)")
    loop: bool = Field(False, description="replay files forever")


class ModelConfig(StrictModel):
    path: Path | None = Field(None, description="ONNX detection model; default: the app's bundled model")
    conf: float = Field(0.25, ge=0, le=1, description="confidence threshold")
    iou: float = Field(0.45, ge=0, le=1, description="NMS IoU threshold")
    input_size: int | None = Field(None, gt=0, description="model input size for dynamic-shape models")
    names: Path | list[str] | None = Field(None, description="class names (file or list), if the model lacks them")
    classes: list[str] | None = Field(None, description="keep only these class names")
    device: str = Field("auto", description="auto, cpu, cuda, openvino")
    threads: int = Field(0, ge=0, description="ONNX Runtime intra-op threads (0: one per core)")


class PipelineConfig(StrictModel):
    batch_size: int = Field(1, ge=1, description="frames per model call, gathered across cameras")
    batch_timeout_ms: float = Field(4.0, ge=0, description="how long a partial batch waits for more frames")
    metrics_port: int | None = Field(None, ge=1, le=65535, description="serve Prometheus /metrics on this port")
