"""What a source reports about itself, for metrics and operators."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SourceState(StrEnum):
    CONNECTED = "connected"  # delivering frames (a replay that has not reached its end counts as connected)
    RECONNECTING = "reconnecting"  # a live source lost its camera and is trying to get it back
    FAILED = "failed"  # gave up; read() returns None
    ENDED = "ended"  # end of a replay, or closed


@dataclass(frozen=True, slots=True)
class SourceHealth:
    state: SourceState
    frames_read: int  # decoded from the media or device, dropped ones included
    frames_dropped: int  # stale live frames replaced by a newer one before anyone read them
    reconnects: int  # successful reconnections of a live source
    last_error: str | None  # the latest problem, kept after recovery so that it can be looked at
    fps: float  # measured over the last seconds; 0.0 when nothing arrives
