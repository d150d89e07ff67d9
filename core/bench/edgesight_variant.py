"""EdgeSight's pipeline on the same video: decode, preprocess, infer, NMS, track and emit, on its own threads."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import supervision as sv

from ..detect import Detector
from ..frame import Frame
from ..pipeline import Pipeline
from ..sources import open_source
from .timing import Pass, Stamped


class EmitClock:
    """A sink that notes when each frame came out and how long it took since it was captured."""

    def __init__(self) -> None:
        self.stamps: list[float] = []
        self.latencies: list[float] = []

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        now = time.monotonic()
        self.stamps.append(now)
        self.latencies.append(now - frame.stamps["capture"])


class EdgeSightVariant:
    """`run(frames) -> Pass`: a fresh pipeline per pass over `streams` replays of the video, unpaced, batched
    across streams. Frames/s count every stream; a frame's latency runs from its capture to its emit."""

    def __init__(self, detector: Detector, video: Path, *, track: bool, streams: int = 1,
                 name: str | None = None) -> None:
        self.detector, self.video, self.track, self.streams = detector, str(video), track, streams
        self.name = name or ("edgesight pipeline" if streams == 1 else f"edgesight {streams} streams batched")

    def run(self, frames: int) -> Pass:
        return Pass.merged([self.stamped(frames)])

    def stamped(self, frames: int, ready: Callable[[], object] = lambda: None) -> Stamped:
        """One pass as measured; `ready()` is called once the video is open and the pipeline built, just before
        it starts (independent processes line up their starts there)."""
        clock = EmitClock()
        sources = [open_source(self.video, source_id=f"cam{i}", pace=False, loop=True) for i in range(self.streams)]
        pipeline = Pipeline(sources, self.detector, [clock], track=self.track, batch_size=self.streams,
                            max_frames=frames + 1)
        ready()
        cpu_started = time.process_time()
        pipeline.run()
        return Stamped(clock.stamps, clock.latencies, time.process_time() - cpu_started)
