"""The interface every source implements, and the numbering of the frames it delivers."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import numpy as np

from ..frame import Frame
from .health import SourceHealth


@dataclass(frozen=True, slots=True)
class CapturedImage:
    """A decoded image before it is handed out; it becomes a Frame (with a sequence number) only when delivered,
    so that numbering stays gap-free over what the consumer actually gets."""

    image: np.ndarray
    t_capture: float
    wall_capture: float
    t_decoded: float
    media_ts: float | None = None


class VideoSource(ABC):
    """A stream of Frames. `read()` blocks until the next frame and returns None at the end or once closed.

    `live` says the drop policy: a live source keeps only the newest frame and drops (and counts) stale ones;
    a replay source never drops."""

    source_id: str
    live: bool
    fps: float | None  # nominal rate the media or camera announces; None when it announces none
    size: tuple[int, int]  # (w, h) announced at open

    def __init__(self) -> None:
        self._next_seq = 0

    @abstractmethod
    def read(self) -> Frame | None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def health(self) -> SourceHealth: ...

    def _deliver(self, captured: CapturedImage) -> Frame:
        frame = Frame(
            source_id=self.source_id,
            seq=self._next_seq,
            image=captured.image,
            t_capture=captured.t_capture,
            wall_capture=captured.wall_capture,
            media_ts=captured.media_ts,
        )
        frame.stamp("decoded", captured.t_decoded)
        self._next_seq += 1
        return frame

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        w, h = self.size
        return f"{type(self).__name__}({self.source_id!r}, {w}x{h}, fps={self.fps}, live={self.live})"
