"""NMS against a brute-force reference on random boxes."""
import numpy as np
from hypothesis import given, settings, strategies as st

from edgesight.core.detect import nms


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def brute_force(boxes, scores, classes, thr):
    """Textbook greedy NMS, one class at a time, pairwise in pure Python."""
    kept = []
    for c in sorted(set(classes.tolist())):
        idx = sorted(np.flatnonzero(classes == c).tolist(), key=lambda i: (-scores[i], i))
        alive = []
        for i in idx:
            if all(iou(boxes[i], boxes[j]) <= thr for j in alive):
                alive.append(i)
        kept += alive
    return sorted(kept)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 60), n_classes=st.integers(1, 4),
       thr=st.sampled_from([0.3, 0.45, 0.5, 0.7]))
def test_nms_matches_brute_force(seed, n, n_classes, thr):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 200, (n, 2))
    wh = rng.uniform(5, 80, (n, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    scores = rng.permutation(n).astype(np.float32) / max(n, 1)  # distinct scores: a unique greedy order
    classes = rng.integers(0, n_classes, n)
    got = nms(boxes, scores, classes, thr, max_det=10_000)
    assert sorted(got.tolist()) == brute_force(boxes.astype(float), scores, classes, thr)
    assert np.all(np.diff(scores[got]) <= 0), "kept boxes come best first"


def test_max_det_caps_output():
    boxes = np.array([[i * 20, 0, i * 20 + 10, 10] for i in range(50)], dtype=np.float32)
    assert len(nms(boxes, np.linspace(1, 0.1, 50), None, 0.5, max_det=7)) == 7
