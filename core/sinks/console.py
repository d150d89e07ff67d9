"""A readable line per second of video: how many objects of each class, and their track ids."""
from __future__ import annotations

import sys
from collections import Counter
from typing import TextIO

import supervision as sv

from ..frame import Frame


class ConsoleSummary:
    def __init__(self, every_s: float = 1.0, out: TextIO = sys.stdout) -> None:
        self.every_s = every_s
        self._out = out
        self._next: dict[str, float] = {}

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        t = frame.media_ts if frame.media_ts is not None else frame.t_capture
        if t < self._next.get(frame.source_id, float("-inf")):
            return
        self._next[frame.source_id] = t + self.every_s
        names = detections.data.get("class_name", detections.class_id.astype(str))
        counts = ", ".join(f"{n} {c}" for c, n in sorted((c, n) for n, c in Counter(names).items()))
        ids = " ".join(f"#{i}" for i in sorted(detections.tracker_id.tolist())) if detections.tracker_id is not None else ""
        self._out.write(f"{frame.source_id} t={t:6.1f}s frame {frame.seq:5d}: {len(detections):2d} tracked "
                        f"({counts or 'none'}) {ids}\n")
        self._out.flush()

    def close(self) -> None:
        self._out.flush()
