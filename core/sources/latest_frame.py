"""A one-item mailbox between a camera's reader thread and the consumer: the newest image wins."""
from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestFrameSlot(Generic[T]):
    """Holds only the newest item. An item replaced before anyone took it is dropped and counted, so a slow
    consumer always gets the freshest frame and memory never grows with the backlog."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._closed = False
        self.dropped = 0

    def put(self, item: T) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cond.notify_all()

    def take(self) -> T | None:
        """Wait for an item newer than the last one taken; None once closed and empty."""
        with self._cond:
            self._cond.wait_for(lambda: self._item is not None or self._closed)
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        """Wake every waiting take(); an item still held is handed out first."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
