"""The pipeline on real decoded video and real ONNX models: order, counts, batching, drop policy, latency."""
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from edgesight.core.detect import Detector
from edgesight.core.frame import Frame
from edgesight.core.pipeline import FrameQueue, Pipeline
from edgesight.core.sources import open_source

MODELS = Path(__file__).parent / "models"


class Collect:
    def __init__(self):
        self.frames, self.detections = [], []

    def emit(self, frame, detections):
        self.frames.append(frame)
        self.detections.append(detections)


def test_replay_through_pipeline_keeps_every_frame_in_order(mp4v_video):
    sink = Collect()
    source = open_source(str(mp4v_video.path), pace=False)
    stats = Pipeline([source], Detector(MODELS / "yolov8_layout.onnx"), [sink]).run()
    assert [f.seq for f in sink.frames] == list(range(mp4v_video.frames))
    assert stats.frames[source.source_id] == mp4v_video.frames and stats.dropped[source.source_id] == 0
    # the planted objects never move, so after confirmation every frame has the same two track ids
    ids = {tuple(sorted(d.tracker_id.tolist())) for d in sink.detections[2:]}
    assert len(ids) == 1 and len(next(iter(ids))) == 2
    for f in sink.frames:
        stamps = [f.stamps[k] for k in ("capture", "decoded", "dequeued", "infer_start", "infer_end", "tracked",
                                        "emitted")]
        assert stamps == sorted(stamps)


def test_latency_summary_has_every_stage(mp4v_video):
    pipeline = Pipeline([open_source(str(mp4v_video.path), pace=False)], Detector(MODELS / "yolov8_layout.onnx"))
    pipeline.run()
    (camera, stages), = pipeline.latency.summary().items()
    assert set(stages) == {"decode", "queue", "preprocess", "infer", "track", "emit", "end_to_end"}
    assert stages["end_to_end"]["n"] == mp4v_video.frames
    assert stages["end_to_end"]["p50"] <= stages["end_to_end"]["p99"]


def test_batches_across_sources(mp4v_video, mjpg_video):
    sink = Collect()
    sources = [open_source(str(mp4v_video.path), source_id="a", pace=False),
               open_source(str(mjpg_video.path), source_id="b", pace=False)]
    pipeline = Pipeline(sources, Detector(MODELS / "yolov8_layout_dynamic.onnx"), [sink], batch_size=2,
                        batch_timeout=0.05)
    stats = pipeline.run()
    assert stats.frames == {"a": mp4v_video.frames, "b": mjpg_video.frames}
    assert stats.batches < mp4v_video.frames + mjpg_video.frames  # frames really shared model calls
    for sid in ("a", "b"):
        assert [f.seq for f in sink.frames if f.source_id == sid] == sorted(f.seq for f in sink.frames
                                                                            if f.source_id == sid)


def test_live_slot_keeps_newest_and_counts_drops():
    live = SimpleNamespace(source_id="cam", live=True, fps=30.0)
    q = FrameQueue([live], capacity=4, live_capacity=1)
    for seq in range(5):
        q.put(q.slots[0], Frame("cam", seq, np.zeros((2, 2, 3), np.uint8), 0.0, 0.0))
    q.end(q.slots[0])
    assert [f.seq for f in q.take(8, 0.0)] == [4]
    assert q.slots[0].dropped == 4
    assert q.take(8, 0.0) is None


def test_replay_slot_blocks_instead_of_dropping():
    import threading

    replay = SimpleNamespace(source_id="file", live=False, fps=30.0)
    q = FrameQueue([replay], capacity=2, live_capacity=1)
    put_done = threading.Event()

    def producer():
        for seq in range(6):
            q.put(q.slots[0], Frame("file", seq, np.zeros((2, 2, 3), np.uint8), 0.0, 0.0))
        q.end(q.slots[0])
        put_done.set()

    threading.Thread(target=producer, daemon=True).start()
    assert not put_done.wait(0.2), "the producer must block while the slot is full"
    got = []
    while (batch := q.take(1, 0.0)) is not None:
        got += [f.seq for f in batch]
    assert got == list(range(6)) and q.slots[0].dropped == 0


def test_pipeline_rejects_duplicate_source_ids(mp4v_video):
    det = Detector(MODELS / "yolov8_layout.onnx")
    with pytest.raises(ValueError, match="unique"):
        Pipeline([open_source(str(mp4v_video.path), source_id="x"), open_source(str(mp4v_video.path),
                                                                                  source_id="x")], det)
