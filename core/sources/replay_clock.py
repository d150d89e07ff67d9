"""Releases replayed frames at the pace of their media timestamps, as a camera would deliver them."""
from __future__ import annotations

import threading
import time

# A jump in a file's timestamps (an edited cut, a broken muxer) must not stall the replay for its length.
MAX_STEP_S = 1.0


class ReplayClock:
    """Waits out the media-time step between consecutive frames.

    The schedule advances by each step from the previous release, not from the start, and restarts from now
    when the consumer falls behind: a slow consumer gets the next frame at once but never a catch-up burst."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._released_at: float | None = None
        self._released_media_ts: float | None = None
        self._step = 0.0

    def rewind(self) -> None:
        """The media starts over: its first frame follows the last one after the usual step."""
        self._released_media_ts = None

    def wait(self, media_ts: float) -> bool:
        """Block until `media_ts` is due; False when `stop` was set meanwhile."""
        now = time.monotonic()
        due = now
        if self._released_media_ts is not None:
            self._step = min(max(media_ts - self._released_media_ts, 0.0), MAX_STEP_S)
        if self._released_at is not None:
            due = max(self._released_at + self._step, now)
        if due > now and self._stop.wait(due - now):
            return False
        self._released_at, self._released_media_ts = due, media_ts
        return not self._stop.is_set()
