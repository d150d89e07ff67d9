"""The floor: ONNX Runtime's `session.run` alone, on tensors preprocessed before the clock starts."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..detect import Detector
from .timing import Pass


@dataclass(frozen=True)
class Clip:
    """The first frames of a video, and what decoding them cost: the floor leaves decoding out and every other
    variant pays it, and the codec decides how much (an H.264 frame costs several times an MPEG-4 Part 2 one)."""
    images: list[np.ndarray]
    codec: str  # FourCC as OpenCV's FFmpeg backend reports it: h264, hevc, FMP4, mp4v, ...
    decode_cpu_ms: float  # CPU time of all threads a frame, after the first (opening and the decoder's start)

    def describe(self) -> dict:
        height, width = self.images[0].shape[:2]
        return {"codec": self.codec, "width": width, "height": height, "decode_cpu_ms": self.decode_cpu_ms}


def first_frames(video: str | Path, count: int) -> Clip:
    """The first `count` decoded frames of `video` (fewer when it is shorter), with its codec and what a frame
    cost to decode."""
    capture = cv2.VideoCapture(str(video))
    fourcc = int(capture.get(cv2.CAP_PROP_FOURCC)) & 0xFFFFFFFF
    frames = []
    started = None
    while len(frames) < count:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
        if started is None:
            started = time.process_time()
    capture.release()
    if not frames:
        raise ValueError(f"{video}: no frame could be decoded")
    cpu_ms = (time.process_time() - started) * 1e3 / (len(frames) - 1) if len(frames) > 1 else float("nan")
    codec = fourcc.to_bytes(4, "little").decode("ascii", "replace").strip("\x00 ") or "unknown"
    return Clip(frames, codec, round(cpu_ms, 2))


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
