"""The floor: ONNX Runtime's `session.run` alone, on tensors preprocessed before the clock starts."""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from ..detect import Detector
from .timing import Pass


def first_frames(video: str | Path, count: int) -> list[np.ndarray]:
    """The first `count` decoded frames of `video` (fewer when it is shorter)."""
    capture = cv2.VideoCapture(str(video))
    frames = []
    while len(frames) < count:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    if not frames:
        raise ValueError(f"{video}: no frame could be decoded")
    return frames


class FloorVariant:
    """`run(frames) -> Pass` of bare model calls, one frame per call, cycling over the video's first frames."""

    name = "onnxruntime session.run"

    def __init__(self, detector: Detector, images: list[np.ndarray]) -> None:
        self.session = detector.session
        self.input_name = detector.input_name
        self.blobs = [detector.preprocess([image])[0] for image in images]
        self.session.run(None, {self.input_name: self.blobs[0]})  # first call allocates; not part of any pass

    def run(self, frames: int) -> Pass:
        latencies = []
        cpu_started = time.process_time()
        for i in range(frames):
            feed = {self.input_name: self.blobs[i % len(self.blobs)]}
            started = time.perf_counter()
            self.session.run(None, feed)
            latencies.append(time.perf_counter() - started)
        return Pass(frames=frames, seconds=sum(latencies), latencies=tuple(latencies),
                    cpu_seconds=time.process_time() - cpu_started)
