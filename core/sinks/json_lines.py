"""One JSON object per frame: where it came from, when, and the tracked boxes."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import supervision as sv

from ..frame import Frame


def frame_record(frame: Frame, detections: sv.Detections) -> dict:
    ids = detections.tracker_id if detections.tracker_id is not None else [None] * len(detections)
    names = detections.data.get("class_name", [None] * len(detections))
    return {
        "source": frame.source_id,
        "seq": frame.seq,
        "media_ts": None if frame.media_ts is None else round(frame.media_ts, 4),
        "wall_time": round(frame.wall_capture, 4),
        "objects": [
            {"track_id": None if t is None else int(t), "class_id": int(c), "class": None if n is None else str(n),
             "confidence": round(float(s), 4), "box": [round(float(v), 1) for v in box]}
            for box, s, c, t, n in zip(detections.xyxy, detections.confidence, detections.class_id, ids, names)
        ],
    }


class JsonLinesWriter:
    """Writes to a file, or to stdout when no path is given (so `edgesight detect | jq` works)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._own = path is not None
        self._out: TextIO = open(path, "w") if path is not None else sys.stdout
        self.frames = 0

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        self._out.write(json.dumps(frame_record(frame, detections), separators=(",", ":")) + "\n")
        self.frames += 1

    def close(self) -> None:
        if self._own:
            self._out.close()
        else:
            self._out.flush()
