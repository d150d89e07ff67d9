"""Detection on ONNX Runtime: model layouts, letterbox, batched inference, per-class NMS."""
from .detector import Detector, DetectorError, Letterbox
from .layouts import LAYOUTS, OutputLayout
from .nms import nms

__all__ = ["Detector", "DetectorError", "Letterbox", "LAYOUTS", "OutputLayout", "nms"]
