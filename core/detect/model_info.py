"""What a detection model file says about itself: class names, input size, layout hints.

Sources, in order of precedence: explicit overrides, a sidecar file next to the model (`<model>.yaml`), the
exporter's ONNX metadata (Ultralytics writes names/imgsz/stride/task/end2end there), then defaults (the COCO-80
names when the model has 80 classes and says nothing).
"""
from __future__ import annotations

import ast
from pathlib import Path

import yaml

# COCO-80 in the contiguous order every COCO-pretrained YOLO family uses.
_COCO80_WORDS = (
    "person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant stop_sign parking_meter "
    "bench bird cat dog horse sheep cow elephant bear zebra giraffe backpack umbrella handbag tie suitcase frisbee "
    "skis snowboard sports_ball kite baseball_bat baseball_glove skateboard surfboard tennis_racket bottle "
    "wine_glass cup fork knife spoon bowl banana apple sandwich orange broccoli carrot hot_dog pizza donut cake "
    "chair couch potted_plant bed dining_table toilet tv laptop mouse remote keyboard cell_phone microwave oven "
    "toaster sink refrigerator book clock vase scissors teddy_bear hair_drier toothbrush"
)
COCO80 = [word.replace("_", " ") for word in _COCO80_WORDS.split()]


def parse_metadata(props: dict[str, str]) -> dict:
    """ONNX metadata values are `str()` of Python literals (Ultralytics); decode what parses, keep the rest."""
    out: dict = {}
    for key, value in props.items():
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def load_names(spec: str | Path | list[str] | dict) -> list[str]:
    """Class names from a list, a {id: name} dict, a .txt file (one per line) or a YAML file (list, dict, or a
    mapping with a `names` key, as in an Ultralytics data.yaml)."""
    if isinstance(spec, (list, tuple)):
        return [str(n) for n in spec]
    if isinstance(spec, dict):
        return [str(spec[k]) for k in sorted(spec, key=int)]
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"class-names file not found: {path}")
    if path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(path.read_text())
        return load_names(data["names"] if isinstance(data, dict) and "names" in data else data)
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def read_sidecar(model_path: Path) -> dict:
    """`model.yaml` beside `model.onnx` (or `model.onnx.yaml`): names, imgsz, layout."""
    for candidate in (model_path.with_suffix(".yaml"), model_path.with_name(model_path.name + ".yaml")):
        if candidate.is_file():
            data = yaml.safe_load(candidate.read_text()) or {}
            if not isinstance(data, dict):
                raise ValueError(f"{candidate}: expected a mapping with names/imgsz/layout, got {type(data).__name__}")
            return data
    return {}
