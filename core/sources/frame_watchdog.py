"""Notices a connection that stays up but stops delivering frames."""
from __future__ import annotations

import time


class FrameWatchdog:
    """Expires when `timeout` seconds pass without feed(). The reader thread feeds it on every frame; the
    supervisor waits on it, so a read() stuck inside the backend cannot hide a dead stream."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._fed_at = time.monotonic()

    def feed(self) -> None:
        self._fed_at = time.monotonic()

    def remaining(self) -> float:
        return max(0.0, self._fed_at + self.timeout - time.monotonic())

    def expired(self) -> bool:
        return self.remaining() == 0.0
