"""Tracking on a rendered clip: the shipped vehicle model + ByteTrack keep one id per vehicle.

assets/demo_intersection.mp4 was rendered by the traffic camera from a SUMO run; its ground truth (vehicle ids and
boxes per frame) lies beside it. Each ground-truth vehicle that is detected over many frames must be followed by
(almost always) one track id.
"""
import gzip
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from edgesight.core.detect import Detector
from edgesight.core.detect.nms import box_iou
from edgesight.core.models import bundled_model
from edgesight.core.pipeline import Pipeline
from edgesight.core.sources import open_source

ASSETS = Path(__file__).resolve().parents[1] / "assets"
FRAMES = 120


class Collect:
    def __init__(self):
        self.tracks = []

    def emit(self, frame, detections):
        self.tracks.append((frame.seq, detections.xyxy.copy(), detections.tracker_id.copy()))


def truth_frames():
    with gzip.open(ASSETS / "demo_intersection.truth.jsonl.gz", "rt") as f:
        return [json.loads(line) for line in f]


@pytest.mark.slow
def test_one_track_id_per_vehicle():
    sink = Collect()
    Pipeline([open_source(str(ASSETS / "demo_intersection.mp4"), pace=False)],
             Detector(bundled_model("traffic_vehicles")), [sink], max_frames=FRAMES).run()
    truth = truth_frames()
    ids_per_vehicle: dict[int, Counter] = defaultdict(Counter)
    for seq, boxes, track_ids in sink.tracks:
        for v in truth[seq]["vehicles"]:
            if not v["labelled"] or not len(boxes):
                continue
            iou = box_iou(np.asarray(v["xyxy"], np.float32), boxes)
            if iou.max() >= 0.5:
                ids_per_vehicle[v["id"]][int(track_ids[iou.argmax()])] += 1
    followed = {vid: c for vid, c in ids_per_vehicle.items() if sum(c.values()) >= 20}
    assert len(followed) >= 5, "the clip must give the tracker real work"
    # share of each vehicle's matched frames carried by its main track id
    purity = [c.most_common(1)[0][1] / sum(c.values()) for c in followed.values()]
    switches = sum(len(c) - 1 for c in followed.values())
    assert np.mean(purity) >= 0.95, (purity, switches)
    assert switches <= len(followed) // 4, switches


def moving_box_ids(config, frames=8, start=(500, 300), step=(-25, -20), size=(30, 45)):
    """Track ids the tracker gives one box moving `step` px a frame at 5 fps, frame by frame."""
    import supervision as sv

    from edgesight.core.track import ObjectTracker

    tracker = ObjectTracker(config, fps=5.0)
    per_frame = []
    for k in range(frames):
        x, y = start[0] + step[0] * k, start[1] + step[1] * k
        det = sv.Detections(xyxy=np.array([[x, y, x + size[0], y + size[1]]], float), confidence=np.array([0.9]),
                            class_id=np.array([3]))
        per_frame.append(tracker.update(det).tracker_id.tolist())
    return per_frame


def test_a_small_box_moving_more_than_its_size_a_frame_is_tracked_only_with_a_buffer_or_reach():
    """A 30x45 px vehicle near a 5 fps camera moves 25 px across and 20 px up a frame: consecutive boxes overlap by
    IoU 0.05, under ByteTrack's 0.1, so plain IoU never confirms a track; buffered IoU (TrackerConfig.iou_buffer)
    does, and so does linking a new track's second sighting by distance (TrackerConfig.new_track_reach), after
    which the track's own speed carries it."""
    from edgesight.core.track import TrackerConfig

    def ids(config, **motion):
        return {i for frame in moving_box_ids(config, **motion) for i in frame}

    assert ids(TrackerConfig(new_track_reach=0)) == set()
    assert len(ids(TrackerConfig(iou_buffer=0.3, new_track_reach=0))) == 1
    per_frame = moving_box_ids(TrackerConfig())  # new_track_reach 2 box sizes by default
    assert per_frame[0] == [] and all(frame == per_frame[1] for frame in per_frame[1:]), per_frame
    # Out of reach (4 box sizes a frame) nothing is linked.
    assert ids(TrackerConfig(new_track_reach=2.0), step=(-120, -100)) == set()


def test_new_track_reach_leaves_established_tracks_alone():
    """Two queued vehicles stand still, tracked; a third appears beside them for one frame and then one jumps:
    the reach step only links unmatched detections to newborn tracks, so the queued vehicles keep their ids and
    the one-frame newcomer never takes an id from them."""
    import supervision as sv

    from edgesight.core.track import ObjectTracker, TrackerConfig

    tracker = ObjectTracker(TrackerConfig(new_track_reach=2.0), fps=5.0)
    queued = np.array([[100, 100, 160, 140], [100, 150, 160, 190]], float)

    def frame(boxes):
        boxes = np.asarray(boxes, float)
        return tracker.update(sv.Detections(xyxy=boxes, confidence=np.full(len(boxes), 0.9),
                                            class_id=np.zeros(len(boxes), int)))

    for _ in range(3):
        first = frame(queued)
    ids = dict(zip(map(tuple, first.xyxy.tolist()), first.tracker_id.tolist()))
    frame(np.vstack([queued, [[170, 100, 230, 140]]]))  # a newcomer beside the queue
    later = frame(queued)  # gone again; the queue still stands
    assert dict(zip(map(tuple, later.xyxy.tolist()), later.tracker_id.tolist())) == ids
