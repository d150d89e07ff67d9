"""`edgesight bench streams`: how many streams one box sustains, batched into one model, and what limits it.

For each stream count the pipeline replays that many copies of the video unpaced, batched across streams, and
reports frames/s in all and per stream, and how busy each kind of thread was (decode per source, the inference
thread that letterboxes and calls the model, the emit thread that decodes boxes and tracks): the busiest one is the
bottleneck. The model call alone is timed at each batch size too. A stream count is sustained at a camera rate
when every stream gets at least that many frames/s unpaced.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import onnxruntime as ort

from ..detect import Detector
from ..detect.dynamic_batch import make_batch_dynamic
from ..pipeline import Pipeline
from ..sources import open_source
from .floor import first_frames


@dataclass
class StreamsRow:
    streams: int
    fps: float  # all streams together
    fps_per_stream: float
    model_ms_per_call: float  # bare model call at this batch size, median
    utilisation: dict[str, float]
    bottleneck: str


@dataclass
class StreamsReport:
    model: str
    video: str
    device: str
    onnxruntime_providers: list[str]
    camera_fps: float
    rows: list[StreamsRow]

    @property
    def sustained(self) -> int:
        """The most streams measured that each got at least the camera rate."""
        return max((r.streams for r in self.rows if r.fps_per_stream >= self.camera_fps), default=0)

    def as_dict(self) -> dict:
        return {**asdict(self), "sustained_streams": self.sustained}


def _model_ms(detector: Detector, images: list, batch: int, calls: int = 10) -> float:
    blob, _ = detector.preprocess([images[i % len(images)] for i in range(batch)])
    detector.infer(blob)  # first call at a batch size allocates (and on a GPU, picks kernels)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        detector.infer(blob)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run_streams_bench(model: Path, video: Path, *, streams: list[int], frames: int, device: str = "auto",
                      threads: int = 0, track: bool = True, camera_fps: float = 30.0) -> StreamsReport:
    with tempfile.TemporaryDirectory(prefix="edgesight-streams-") as work:
        if Detector(model).batch_size == 1:
            model = make_batch_dynamic(model, Path(work) / f"{model.stem}.batch.onnx")
        detector = Detector(model, device=device, threads=threads)
        images = first_frames(video, 8).images
        rows = []
        for n in streams:
            model_ms = _model_ms(detector, images, n)
            sources = [open_source(str(video), source_id=f"cam{i}", pace=False, loop=True) for i in range(n)]
            stats = Pipeline(sources, detector, [], track=track, batch_size=n, max_frames=frames).run()
            busy = stats.utilisation()
            rows.append(StreamsRow(streams=n, fps=round(stats.fps, 1), fps_per_stream=round(stats.fps / n, 1),
                                   model_ms_per_call=round(model_ms, 2), utilisation=busy,
                                   bottleneck=max(busy, key=busy.get)))
    return StreamsReport(model=str(model), video=str(video), device=detector.providers[0],
                         onnxruntime_providers=ort.get_available_providers(), camera_fps=camera_fps, rows=rows)
