"""The detector's class names to the traffic app's vehicle classes, so any model can be used: the shipped one
(car, bus, truck, motorcycle), a COCO-pretrained one (the same names among 80 others) or a VOC one
("motorbike"). Everything else the model finds (people, bicycles, traffic lights) is dropped, and so is the
weaker of two boxes on one vehicle under different classes (a van found as both car and truck): per-class NMS
keeps both, and two tracks on one vehicle count it twice."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import supervision as sv

from edgesight.core.events import VehicleClass

# Model class name -> vehicle class; a name missing here is not a vehicle this app counts.
VEHICLE_NAMES: dict[str, VehicleClass] = {
    "car": VehicleClass.car,
    "truck": VehicleClass.truck,
    "bus": VehicleClass.bus,
    "motorcycle": VehicleClass.motorcycle,
    "motorbike": VehicleClass.motorcycle,
}


class VehicleClassFilter:
    """`apply(detections)` -> only the vehicles, one box each (class-agnostic NMS at `iou`), with
    `data["class_name"]` set to their vehicle class."""

    def __init__(self, model_names: Sequence[str], iou: float = 0.6) -> None:
        self.iou = iou
        self.classes = np.array([VEHICLE_NAMES.get(name.lower()) for name in model_names], dtype=object)
        if not any(c is not None for c in self.classes):
            shown = ", ".join(model_names[:12]) + (", ..." if len(model_names) > 12 else "")
            raise ValueError(f"the model has no vehicle class ({', '.join(sorted(set(VEHICLE_NAMES)))}); its classes "
                             f"are {shown}: use a vehicle detector or give its class names with --names")

    def apply(self, detections: sv.Detections) -> sv.Detections:
        if len(detections) == 0:
            return detections
        known = detections.class_id < len(self.classes)
        classes = np.where(known, self.classes[np.minimum(detections.class_id, len(self.classes) - 1)], None)
        keep = np.array([c is not None for c in classes], bool)
        vehicles = detections[keep]
        vehicles.data["class_name"] = np.array([str(c) for c in classes[keep]], dtype=object)
        return vehicles.with_nms(threshold=self.iou, class_agnostic=True) if len(vehicles) > 1 else vehicles
