"""A video file replayed as if it were a live camera: frames come at the file's own rate, looping, and nobody
waits for the consumer, so a pipeline that cannot keep up must drop or skip (the overload benchmark's input)."""
from __future__ import annotations

from pathlib import Path

from ..frame import Frame
from ..sources import open_source
from ..sources.health import SourceHealth


class LiveReplay:
    live = True

    def __init__(self, video: str | Path, source_id: str) -> None:
        self._replay = open_source(str(video), source_id=source_id, pace=True, loop=True)
        self.source_id = source_id
        self.fps = self._replay.fps

    def read(self) -> Frame | None:
        return self._replay.read()

    def close(self) -> None:
        self._replay.close()

    def health(self) -> SourceHealth:
        return self._replay.health()
