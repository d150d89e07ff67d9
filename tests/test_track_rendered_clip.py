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


def test_a_small_box_moving_more_than_its_size_a_frame_is_tracked_only_with_a_buffer():
    """A 30x45 px vehicle near a 5 fps camera moves 25 px across and 20 px up a frame: consecutive boxes overlap by
    IoU 0.05, under ByteTrack's 0.1, so plain IoU never confirms a track; buffered IoU (TrackerConfig.iou_buffer)
    does."""
    import supervision as sv

    from edgesight.core.track import ObjectTracker, TrackerConfig

    def ids(config):
        tracker = ObjectTracker(config, fps=5.0)
        found = set()
        for k in range(8):
            x, y = 500 - 25 * k, 300 - 20 * k
            det = sv.Detections(xyxy=np.array([[x, y, x + 30, y + 45]], float), confidence=np.array([0.9]),
                                class_id=np.array([3]))
            found |= set(tracker.update(det).tracker_id.tolist())
        return found

    assert ids(TrackerConfig()) == set()
    assert len(ids(TrackerConfig(iou_buffer=0.3))) == 1
