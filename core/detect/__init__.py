"""Detection on ONNX Runtime: model layouts, letterbox, batched inference, per-class NMS."""
from .detector import Detector, DetectorError
from .letterbox import Letterbox, Letterboxer
from .layouts import LAYOUTS, OutputLayout
from .nms import nms

__all__ = ["Detector", "DetectorError", "Letterbox", "Letterboxer", "LAYOUTS", "OutputLayout", "nms"]
