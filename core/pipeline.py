"""source -> detector -> tracker -> sinks, with decode and inference overlapped on threads.

Three kinds of thread, because each one spends its time where the GIL is released (OpenCV decode, ONNX Runtime,
numpy): one reader per source, one inference thread that batches frames across sources, and one emit thread that
decodes boxes, tracks and calls the sinks while the model already runs the next batch. Between them are bounded
queues with an explicit drop policy per source kind: replayed files block (never drop), live cameras keep only the
newest frames and count what they drop.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Protocol, Sequence

import supervision as sv

from .detect import Detector
from .frame import Frame
from .metrics import LatencyRecorder
from .track import ObjectTracker, TrackerConfig

log = logging.getLogger(__name__)


class FrameSource(Protocol):
    """What the pipeline needs of a source (core.sources.VideoSource has it)."""
    source_id: str
    live: bool
    fps: float | None

    def read(self) -> Frame | None: ...
    def close(self) -> None: ...


class FrameSink(Protocol):
    """A step after tracking: app logic, a JSON writer, a video writer. Called on the emit thread, in frame order
    per source."""

    def emit(self, frame: Frame, detections: sv.Detections) -> None: ...


@dataclass
class SourceSlot:
    """The frames of one source waiting for inference. `live` slots drop the oldest frame when full."""
    source: FrameSource
    capacity: int
    frames: deque = field(default_factory=deque)
    dropped: int = 0
    ended: bool = False


class FrameQueue:
    """Per-source bounded slots behind one condition variable, drained round-robin so no camera starves."""

    def __init__(self, sources: Sequence[FrameSource], capacity: int, live_capacity: int) -> None:
        self.slots = [SourceSlot(s, live_capacity if s.live else capacity) for s in sources]
        self._cond = threading.Condition()
        self._next = 0
        self.closed = False

    def wait_for_room(self, slot: SourceSlot) -> None:
        """Block a replay's reader until its slot has room, so it decodes a frame only when the frame can be
        queued at once: the frame's latency then never includes time spent decoded but waiting outside the
        queue. Live slots never wait (they drop instead)."""
        with self._cond:
            while not slot.source.live and len(slot.frames) >= slot.capacity and not self.closed:
                self._cond.wait()

    def put(self, slot: SourceSlot, frame: Frame) -> None:
        with self._cond:
            if slot.source.live:
                if len(slot.frames) >= slot.capacity:
                    slot.frames.popleft()
                    slot.dropped += 1
            else:
                while len(slot.frames) >= slot.capacity and not self.closed:
                    self._cond.wait()
            slot.frames.append(frame)
            self._cond.notify_all()

    def end(self, slot: SourceSlot) -> None:
        with self._cond:
            slot.ended = True
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def take(self, max_frames: int, batch_timeout: float) -> list[Frame] | None:
        """Up to `max_frames` frames: waits for the first, then at most `batch_timeout` for more. None when every
        source has ended and nothing is left (or the queue was closed)."""
        batch: list[Frame] = []
        deadline = None
        with self._cond:
            while True:
                self._drain_into(batch, max_frames)
                if len(batch) >= max_frames or self.closed:
                    break
                if all(s.ended and not s.frames for s in self.slots):
                    break
                if batch:
                    deadline = deadline or time.monotonic() + batch_timeout
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                else:
                    self._cond.wait()
            if batch:
                self._cond.notify_all()  # room for blocked replay readers
        return batch or None

    def _drain_into(self, batch: list[Frame], max_frames: int) -> None:
        n = len(self.slots)
        for _ in range(n):
            if len(batch) >= max_frames:
                return
            slot = self.slots[self._next]
            self._next = (self._next + 1) % n
            if slot.frames:
                frame = slot.frames.popleft()
                frame.stamp("dequeued")
                batch.append(frame)


@dataclass
class PipelineStats:
    frames: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return sum(self.frames.values()) / self.seconds if self.seconds > 0 else 0.0


_END = object()


class Pipeline:
    """Run with `run()` (blocks until every source ends or `stop()` is called)."""

    def __init__(self, sources: Sequence[FrameSource], detector: Detector, sinks: Iterable[FrameSink] = (), *,
                 tracker: TrackerConfig | None = None, track: bool = True, batch_size: int = 1,
                 batch_timeout: float = 0.004, queue_capacity: int = 1, live_capacity: int = 1,
                 latency: LatencyRecorder | None = None, max_frames: int | None = None) -> None:
        if not sources:
            raise ValueError("a pipeline needs at least one source")
        ids = [s.source_id for s in sources]
        if len(set(ids)) != len(ids):
            raise ValueError(f"source ids must be unique, got {ids}")
        self.sources = list(sources)
        self.detector = detector
        self.sinks = list(sinks)
        self.trackers = {s.source_id: ObjectTracker(tracker, fps=s.fps or 30.0) for s in sources} if track else {}
        self.batch_size = batch_size
        self.batch_timeout = batch_timeout
        self.latency = latency or LatencyRecorder()
        self.max_frames = max_frames
        self.queue = FrameQueue(self.sources, queue_capacity, live_capacity)
        self._results: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self.stats = PipelineStats(frames={i: 0 for i in ids}, dropped={i: 0 for i in ids})

    def stop(self) -> None:
        self._stop.set()
        self.queue.close()

    # --- threads ---------------------------------------------------------------------------------------------
    def _read(self, slot: SourceSlot) -> None:
        read = 0
        try:
            while not self._stop.is_set():
                self.queue.wait_for_room(slot)
                frame = slot.source.read()
                if frame is None:
                    break
                self.queue.put(slot, frame)
                read += 1
                if self.max_frames is not None and read >= self.max_frames:
                    break
        except Exception as exc:  # a source error ends that source, not the pipeline
            self.stats.errors.append(f"{slot.source.source_id}: {exc}")
            log.error("source %s stopped: %s", slot.source.source_id, exc)
        finally:
            self.queue.end(slot)

    def _infer(self) -> None:
        try:
            while True:
                batch = self.queue.take(self.batch_size, self.batch_timeout)
                if batch is None:
                    break
                blob, letterboxes = self.detector.preprocess([f.image for f in batch])
                t0 = time.monotonic()
                output = self.detector.infer(blob)
                t1 = time.monotonic()
                for f in batch:
                    f.stamp("infer_start", t0)
                    f.stamp("infer_end", t1)
                self.stats.batches += 1
                self._results.put((batch, output, letterboxes))
        finally:
            self._results.put(_END)

    def _emit(self) -> None:
        while (item := self._results.get()) is not _END:
            batch, output, letterboxes = item
            for frame, detections in zip(batch, self.detector.postprocess(output, letterboxes)):
                tracker = self.trackers.get(frame.source_id)
                if tracker is not None:
                    detections = tracker.update(detections)
                frame.stamp("tracked")
                for sink in self.sinks:
                    sink.emit(frame, detections)
                frame.stamp("emitted")
                self.latency.record(frame)
                self.stats.frames[frame.source_id] += 1

    def run(self) -> PipelineStats:
        t0 = time.monotonic()
        readers = [threading.Thread(target=self._read, args=(slot,), name=f"read-{slot.source.source_id}",
                                    daemon=True) for slot in self.queue.slots]
        infer = threading.Thread(target=self._infer, name="infer", daemon=True)
        for t in (*readers, infer):
            t.start()
        try:
            self._emit()
        finally:
            self.stop()
            for source in self.sources:
                source.close()
            infer.join(timeout=5)
            for t in readers:
                t.join(timeout=5)
            for slot in self.queue.slots:
                self.stats.dropped[slot.source.source_id] = slot.dropped + self._source_drops(slot.source)
                self.latency.dropped.labels(slot.source.source_id).set(self.stats.dropped[slot.source.source_id])
            self.stats.seconds = time.monotonic() - t0
        return self.stats

    @staticmethod
    def _source_drops(source: FrameSource) -> int:
        health = getattr(source, "health", None)
        return int(getattr(health(), "frames_dropped", 0)) if callable(health) else 0
