"""Ultralytics' own loop on the same ONNX file: `YOLO(onnx).predict(video, stream=True)`, or `.track(...)`.

Ultralytics is optional (it pulls torch); `load()` says why it cannot run instead of failing the benchmark.
Its ONNX Runtime session is rebuilt with EdgeSight's session options and torch gets the same thread count, so
the three variants run with the same thread settings.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from ..detect.detector import session_options
from .timing import Pass

MISSING = "ultralytics is not installed (pip install 'edgesight[bench]'; it needs torch and torchvision)"


class UltralyticsVariant:
    """`run(frames) -> Pass`: each pass starts the video from its first frame with fresh trackers. A frame's
    latency is the time between two results, since Ultralytics decodes, infers and tracks one frame at a time."""

    name = "ultralytics predict"

    def __init__(self, model: Path, video: Path, *, track: bool, conf: float, iou: float, threads: int) -> None:
        os.environ["YOLO_OFFLINE"] = "1"  # otherwise ultralytics probes public DNS when imported
        os.environ["YOLO_VERBOSE"] = "False"  # its loading messages go to stdout, into the table and --json
        import torch
        from ultralytics import YOLO

        if threads:
            torch.set_num_threads(threads)
        self.yolo = YOLO(str(model), task="detect")
        self.model, self.video, self.track, self.threads = str(model), str(video), track, threads
        self.options = dict(conf=conf, iou=iou, verbose=False, stream=True)
        self.name = "ultralytics track" if track else "ultralytics predict"
        self._session_replaced = False

    @staticmethod
    def load(model: Path, video: Path, **options) -> UltralyticsVariant | str:
        """The variant, or the reason it cannot run."""
        try:
            return UltralyticsVariant(model, video, **options)
        except ImportError as exc:
            return f"{MISSING}: {exc}"

    def _results(self):
        if self.track:
            return self.yolo.track(self.video, persist=False, **self.options)
        return self.yolo.predict(self.video, **self.options)

    def _use_edgesight_session(self) -> None:
        import onnxruntime as ort

        backend = self.yolo.predictor.model.backend
        backend.session = ort.InferenceSession(self.model, session_options(self.threads),
                                               providers=["CPUExecutionProvider"])
        self._session_replaced = True

    def run(self, frames: int) -> Pass:
        stamps, latencies = [], []
        results = self._results()
        for _ in results:
            now = time.perf_counter()
            if stamps:
                latencies.append(now - stamps[-1])
            else:
                if not self._session_replaced:
                    self._use_edgesight_session()
                    now = time.perf_counter()
                cpu_started = time.process_time()
            stamps.append(now)
            if len(stamps) > frames:
                break
        cpu_seconds = time.process_time() - cpu_started
        results.close()
        return Pass(frames=len(latencies), seconds=stamps[-1] - stamps[0], latencies=tuple(latencies),
                    cpu_seconds=cpu_seconds)
