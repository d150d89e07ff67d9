"""The simulated line as a video source: frames of the ConveyorCamera at a fixed frame rate, each with its ground
truth kept beside it (`truth(seq)`).

Paced, it behaves like a live camera: the shutter fires on schedule whether or not anyone keeps up, and when
rendering falls behind the schedule, missed shutter times are skipped and counted as dropped. Unpaced, it renders
every frame as fast as it can (for recording)."""
from __future__ import annotations

import math
import threading
import time

from edgesight.core.frame import Frame
from edgesight.core.sources.health import SourceHealth, SourceState
from edgesight.core.sources.video_source import CapturedImage, VideoSource

from .clock import LineClock
from .conveyor_camera import ConveyorCamera
from .scene import FrameTruth


class SimulatedLineSource(VideoSource):
    def __init__(self, camera: ConveyorCamera, *, fps: float = 15.0, seconds: float | None = None, pace: bool = True,
                 source_id: str = "line", clock: LineClock | None = None) -> None:
        super().__init__()
        if not fps > 0:
            raise ValueError(f"simulated line {source_id}: fps={fps} must be above 0")
        self.camera = camera
        self.source_id = source_id
        self.live = pace
        self.fps = float(fps)
        self.size = (camera.width, camera.height)
        self.seconds = seconds
        self.clock = clock or LineClock.start_now()
        self._shutter = 0  # index of the next shutter time, k / fps
        self._dropped = 0
        self._closed = threading.Event()
        self._truth: dict[int, tuple[float, FrameTruth]] = {}

    def read(self) -> Frame | None:
        if self._closed.is_set():
            return None
        if self.live:
            late_by = self.clock.sim_now() - self._shutter / self.fps
            if late_by > 1.0 / self.fps:
                skip = math.floor(late_by * self.fps)
                if self.seconds is not None:  # shutter times past the end of the run were never due
                    skip = min(skip, max(math.floor(self.seconds * self.fps) + 1 - self._shutter, 0))
                self._shutter += skip
                self._dropped += skip
            wait = self._shutter / self.fps - self.clock.sim_now()
            if wait > 0 and self._closed.wait(wait):
                return None
        t = self._shutter / self.fps
        if self.seconds is not None and t > self.seconds:
            return None
        image, truth = self.camera.capture(t, self._shutter)
        self._shutter += 1
        frame = self._deliver(CapturedImage(image, self.clock.monotonic_at(t), self.clock.wall_at(t),
                                            time.monotonic(), media_ts=t))
        self._truth[frame.seq] = (t, truth)
        return frame

    def truth(self, seq: int) -> tuple[float, FrameTruth]:
        """(simulation time, ground truth) of the delivered frame `seq`."""
        if seq not in self._truth:
            raise KeyError(f"simulated line {self.source_id}: no frame {seq} was delivered (0..{self._next_seq - 1})")
        return self._truth[seq]

    def close(self) -> None:
        self._closed.set()

    def health(self) -> SourceHealth:
        ended = self._closed.is_set() or (self.seconds is not None and self._shutter / self.fps > self.seconds)
        elapsed = self.clock.sim_now()
        return SourceHealth(SourceState.ENDED if ended else SourceState.CONNECTED, self._shutter, self._dropped, 0, None,
                            self._next_seq / elapsed if elapsed > 0 else 0.0)
