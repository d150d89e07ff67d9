"""Frames per second measured over a sliding time window."""
from __future__ import annotations

import threading
from collections import deque


class RateMeter:
    """Counts events over the last `window` seconds; the rate falls to 0 when events stop.
    Ticked by the thread that reads frames and asked by whoever reads health(), hence the lock."""

    def __init__(self, window: float = 2.0) -> None:
        self.window = window
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, t: float) -> None:
        with self._lock:
            self._times.append(t)
            self._forget_before(t - self.window)

    def rate(self, now: float) -> float:
        with self._lock:
            self._forget_before(now - self.window)
            span = self._times[-1] - self._times[0] if self._times else 0.0
            return (len(self._times) - 1) / span if span > 0 else 0.0

    def _forget_before(self, t: float) -> None:
        while self._times and self._times[0] < t:
            self._times.popleft()
