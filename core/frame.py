"""The unit that flows through the pipeline: one decoded image plus where and when it came from.

Latency stamps ride on the frame (monotonic seconds, `time.monotonic()`), one per stage, so that
metrics can be computed downstream without any step reaching back upstream.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

# Stamps in pipeline order: grabbed, decoded by the source, taken off the queue by the inference thread, handed
# to the model, back from the model, tracked, and done by every sink. Stage latency = stamp - previous stamp.
STAGES: tuple[str, ...] = ("capture", "decoded", "dequeued", "infer_start", "infer_end", "tracked", "emitted")


@dataclass(slots=True)
class Frame:
    """A decoded frame. `image` is BGR uint8 HxWx3 (OpenCV convention)."""

    source_id: str
    seq: int  # per-source sequence number, 0-based, gap-free for what the source delivered
    image: np.ndarray
    t_capture: float  # monotonic seconds at capture (grab) time
    wall_capture: float  # wall clock (epoch seconds) at capture time
    media_ts: float | None = None  # position in the media (s) for files; None for live cameras
    stamps: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.stamps.setdefault("capture", self.t_capture)

    def stamp(self, stage: str, t: float | None = None) -> None:
        self.stamps[stage] = time.monotonic() if t is None else t

    @property
    def shape(self) -> tuple[int, int]:
        h, w = self.image.shape[:2]
        return h, w
