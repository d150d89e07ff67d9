"""A progress bar on stderr for long runs over files (tqdm), one tick per emitted frame."""
from __future__ import annotations

from typing import Sequence

import supervision as sv
from tqdm import tqdm

from ..frame import Frame


class ProgressBar:
    def __init__(self, sources: Sequence, max_frames: int | None = None) -> None:
        counts = [getattr(s, "frame_count", None) for s in sources]
        total = None if any(c is None for c in counts) or any(getattr(s, "loop", False) for s in sources) \
            else sum(counts)
        if max_frames is not None:
            total = min(total, max_frames * len(sources)) if total else max_frames * len(sources)
        self._bar = tqdm(total=total, unit="frame", dynamic_ncols=True, leave=False)

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()
