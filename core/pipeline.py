"""source -> detector -> tracker -> sinks, with decode and inference overlapped on threads.

Three kinds of thread, because each one spends its time where the GIL is released (OpenCV decode, ONNX Runtime,
numpy): one reader per source, one inference thread that batches frames across sources, and one emit thread that
decodes boxes, tracks and calls the sinks while the model already runs the next batch. Between them are bounded
queues with an explicit drop policy per source kind: replayed files block (never drop), live cameras keep only the
newest frames and count what they drop.

Two optional ways to do less work per frame: a motion gate per camera (core.motion) lets frames of a still scene
keep the detections already held instead of running the model (and runs it on a crop around what moved when that
is small), and a latency governor (core.overload) holds a p99 budget for live cameras by shrinking model calls,
switching to a smaller model input (when given `overload_inputs`) and skipping frames. Both report what they did
in the stats, next to how busy each kind of thread was, which says where the time went.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Protocol, Sequence

import numpy as np
import supervision as sv

from .detect import Detector, Letterbox
from .frame import Frame
from .metrics import LatencyRecorder
from .motion import MotionConfig, MotionGate, Region
from .overload import LatencyGovernor, OverloadStep
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
    skipped: int = 0  # live frames left out by the latency governor's stride
    decode_s: float = 0.0  # time the source spent decoding what it delivered
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
    dropped: dict[str, int] = field(default_factory=dict)  # stale live frames replaced by newer ones
    skipped: dict[str, int] = field(default_factory=dict)  # live frames the latency governor left out
    still: dict[str, int] = field(default_factory=dict)  # frames the motion gate answered without the model
    cropped: dict[str, int] = field(default_factory=dict)  # frames the model saw only a crop of (motion regions)
    batches: int = 0
    seconds: float = 0.0
    busy_s: dict[str, float] = field(default_factory=dict)  # decode (all sources), infer, emit: working time
    overload: list[OverloadStep] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return sum(self.frames.values()) / self.seconds if self.seconds > 0 else 0.0

    def utilisation(self) -> dict[str, float]:
        """Share of the run each thread kind was working; decode is per source on average. The highest one is
        the stage that limits frames/s."""
        if self.seconds <= 0:
            return {}
        per_thread = {"decode": max(1, len(self.frames)), "infer": 1, "emit": 1}
        return {k: round(v / self.seconds / per_thread[k], 3) for k, v in self.busy_s.items()}


@dataclass
class ModelCall:
    """One model call of a batch: the frames (indices into the batch) it took, and its raw output."""
    detector: Detector
    frames: list[int]
    output: np.ndarray
    letterboxes: list[Letterbox]


_END = object()


class Pipeline:
    """Run with `run()` (blocks until every source ends or `stop()` is called)."""

    def __init__(self, sources: Sequence[FrameSource], detector: Detector, sinks: Iterable[FrameSink] = (), *,
                 tracker: TrackerConfig | None = None, track: bool = True, batch_size: int = 1,
                 batch_timeout: float = 0.004, queue_capacity: int = 1, live_capacity: int = 1,
                 latency: LatencyRecorder | None = None, max_frames: int | None = None,
                 motion: MotionConfig | None = None, latency_budget: float | None = None,
                 overload_inputs: Sequence[int] = ()) -> None:
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
        self._live = {s.source_id: bool(s.live) for s in sources}
        self.gates = {i: MotionGate(motion, detector.input_hw) for i in ids} if motion is not None else {}
        self.crop_detector = detector.at_input_size(motion.crop_input) if motion and motion.crop_input else None
        # The model at its own input, then at the smaller square inputs the governor may fall back to.
        self.detectors = [detector, *(detector.at_input_size(side) for side in sorted(overload_inputs, reverse=True)
                                      if latency_budget is not None)]
        sides = [d.input_hw[0] for d in self.detectors]
        self.governor = (LatencyGovernor(latency_budget, batch_size, input_sides=sides)
                         if latency_budget is not None else None)
        # Per camera: the detections a still frame keeps. Written by the emit thread; the inference thread reads
        # their boxes to choose crops that cut no held object (a batch or two old at most, which for the still
        # objects that matter there is the same).
        self._held: dict[str, sv.Detections] = {}
        self._results: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self.stats = PipelineStats(frames={i: 0 for i in ids}, dropped={i: 0 for i in ids},
                                   skipped={i: 0 for i in ids}, still={i: 0 for i in ids},
                                   cropped={i: 0 for i in ids},
                                   busy_s={"decode": 0.0, "infer": 0.0, "emit": 0.0})

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
                slot.decode_s += frame.stamps.get("decoded", frame.t_capture) - frame.t_capture
                read += 1
                if self._governor_skips(slot, read):
                    slot.skipped += 1
                else:
                    self.queue.put(slot, frame)
                if self.max_frames is not None and read >= self.max_frames:
                    break
        except Exception as exc:  # a source error ends that source, not the pipeline
            self.stats.errors.append(f"{slot.source.source_id}: {exc}")
            log.error("source %s stopped: %s", slot.source.source_id, exc)
        finally:
            self.queue.end(slot)

    def _governor_skips(self, slot: SourceSlot, read: int) -> bool:
        return self.governor is not None and slot.source.live and read % self.governor.stride != 0

    def _region(self, frame: Frame) -> Region | None:
        """Where the model looks at this frame; None for a frame of a still scene. A gate answers the whole frame
        for a camera's first frame, and frames are emitted in order per camera, so a still or cropped frame
        always finds its camera's detections held."""
        gate = self.gates.get(frame.source_id)
        if gate is None:
            return Region.whole_frame(*frame.shape)
        held = self._held.get(frame.source_id)
        return gate.region(frame.image, frame.media_ts if frame.media_ts is not None else frame.t_capture,
                           held.xyxy if held is not None else None)

    def _infer(self) -> None:
        try:
            while True:
                batch = self.queue.take(self.governor.batch if self.governor else self.batch_size, self.batch_timeout)
                if batch is None:
                    break
                started = time.monotonic()
                regions = [self._region(f) for f in batch]
                calls: list[ModelCall] = []
                t0 = None
                for detector, frames in self._calls_for(regions).items():
                    blob, letterboxes = detector.preprocess([regions[i].crop(batch[i].image) for i in frames])
                    t0 = t0 or time.monotonic()
                    calls.append(ModelCall(detector, frames, detector.infer(blob), letterboxes))
                    self.stats.batches += 1
                t1 = time.monotonic()
                for f in batch:
                    f.stamp("infer_start", t0 or t1)
                    f.stamp("infer_end", t1)
                self.stats.busy_s["infer"] += t1 - started  # not the put: waiting on the emit thread is not work
                self._results.put((batch, regions, calls))
        finally:
            self._results.put(_END)

    def _calls_for(self, regions: list[Region | None]) -> dict[Detector, list[int]]:
        """Which frames of the batch each model call takes: crops cut for the small crop input go to that copy of
        the model, everything else to the model at the input the governor chose (its own one without a
        governor); still frames to none."""
        main = self.detectors[self.governor.input_index] if self.governor else self.detector
        calls: dict[Detector, list[int]] = {}
        for i, region in enumerate(regions):
            if region is not None:
                small = region.input_side is not None and self.crop_detector is not None
                calls.setdefault(self.crop_detector if small else main, []).append(i)
        return calls

    def _emit(self) -> None:
        while (item := self._results.get()) is not _END:
            started = time.monotonic()
            batch, regions, calls = item
            fresh = {i: found for call in calls
                     for i, found in zip(call.frames, call.detector.postprocess(call.output, call.letterboxes))}
            for i, (frame, region) in enumerate(zip(batch, regions)):
                if region is None:  # a still scene: what was there is still there
                    detections = self._held[frame.source_id]
                    self.stats.still[frame.source_id] += 1
                else:
                    found = region.to_frame(fresh[i])
                    detections = found if region.whole else region.merge(self._held[frame.source_id], found)
                    self._held[frame.source_id] = detections
                    self.stats.cropped[frame.source_id] += not region.whole
                tracker = self.trackers.get(frame.source_id)
                if tracker is not None:
                    detections = tracker.update(detections)
                frame.stamp("tracked")
                for sink in self.sinks:
                    sink.emit(frame, detections)
                frame.stamp("emitted")
                latencies = self.latency.record(frame)
                self.stats.frames[frame.source_id] += 1
                if self.governor is not None and self._live[frame.source_id]:
                    self.governor.observe(latencies.get("end_to_end", 0.0), frame.stamps["emitted"])
            self.stats.busy_s["emit"] += time.monotonic() - started

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
                self.stats.skipped[slot.source.source_id] = slot.skipped
                self.stats.busy_s["decode"] += slot.decode_s
                self.latency.dropped.labels(slot.source.source_id).set(self.stats.dropped[slot.source.source_id])
            if self.governor is not None:
                self.stats.overload = list(self.governor.steps)
            self.stats.seconds = time.monotonic() - t0
        return self.stats

    @staticmethod
    def _source_drops(source: FrameSource) -> int:
        health = getattr(source, "health", None)
        return int(getattr(health(), "frames_dropped", 0)) if callable(health) else 0
