"""Calibration frames for static INT8 quantization (the user's own video, or a training run's validation images),
letterboxed exactly as at inference."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from onnxruntime.quantization import CalibrationDataReader

from .detector import Detector


def spread_frames(video: str | Path, count: int) -> list[np.ndarray]:
    """`count` frames spread evenly over the whole video, so calibration sees its quiet and its busy parts."""
    capture = cv2.VideoCapture(str(video))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    wanted = set(np.linspace(0, max(total - 1, 0), num=min(count, max(total, 1))).round().astype(int).tolist())
    frames, index = [], 0
    while len(frames) < len(wanted):
        ok, image = capture.read()
        if not ok:
            break
        if index in wanted:
            frames.append(image)
        index += 1
    capture.release()
    if not frames:
        raise ValueError(f"{video}: no frame could be decoded for calibration")
    return frames


class FrameCalibration(CalibrationDataReader):
    """Feeds ONNX Runtime's calibrator one letterboxed frame at a time."""

    def __init__(self, detector: Detector, frames: list[np.ndarray]) -> None:
        self.input_name = detector.input_name
        self._blobs = iter([detector.preprocess([frame])[0] for frame in frames])

    def get_next(self) -> dict[str, np.ndarray] | None:
        blob = next(self._blobs, None)
        return None if blob is None else {self.input_name: blob}
