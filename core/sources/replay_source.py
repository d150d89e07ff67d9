"""What file and folder replays share: pacing, looping, end of media and health."""
from __future__ import annotations

import threading
import time
from abc import abstractmethod

import numpy as np

from ..frame import Frame
from .errors import SourceError
from .health import SourceHealth, SourceState
from .rate_meter import RateMeter
from .replay_clock import ReplayClock
from .video_source import CapturedImage, VideoSource

# (image, media_ts): a decoded image and its position in the media, in seconds
MediaImage = tuple[np.ndarray, float]


class ReplaySource(VideoSource):
    """Replays recorded media frame by frame, paced at its own timestamps or as fast as it decodes.

    Decoding happens in the consumer's thread, inside read(): a replay never drops a frame, so there is nothing
    to gain from reading ahead. A replayed frame counts as captured when the replay clock releases it."""

    live = False
    _last_error: str | None = None  # the latest problem; subclasses may set it while opening

    def __init__(
        self, source_id: str, fps: float | None, size: tuple[int, int], first: MediaImage, *, pace: bool, loop: bool
    ) -> None:
        super().__init__()
        self.source_id = source_id
        self.fps = fps
        self.size = size
        self.pace = pace
        self.loop = loop
        self._pending: MediaImage | None = first  # decoded at open to prove the media is readable
        self._closed = threading.Event()
        self._clock = ReplayClock(self._closed)
        self._lock = threading.Lock()  # close() may come from another thread while read() decodes
        self._state = SourceState.CONNECTED
        self._frames_read = 1
        self._frames_in_pass = 1
        self._meter = RateMeter()

    @abstractmethod
    def _decode_next(self) -> MediaImage | None:
        """The next image of the current pass, or None at its end."""

    @abstractmethod
    def _rewind(self) -> None:
        """Go back to the first image; SourceError when the media can no longer be opened."""

    @abstractmethod
    def _release(self) -> None: ...

    def read(self) -> Frame | None:
        with self._lock:
            if self._closed.is_set() or self._state is not SourceState.CONNECTED:
                return None
            started = time.monotonic()
            item = self._next_image()
            decode_s = time.monotonic() - started
            if item is None:
                return None
        image, media_ts = item
        if self.pace and not self._clock.wait(media_ts):
            return None
        # A replayed frame is "captured" when its clock releases it; its decode is dated just before that, so
        # the decode stage shows what decoding cost without the pacing wait in it.
        now, wall = time.monotonic(), time.time()
        self._meter.tick(now)
        return self._deliver(CapturedImage(image, now - decode_s, wall - decode_s, now, media_ts))

    def _next_image(self) -> MediaImage | None:
        if self._pending is not None:
            first, self._pending = self._pending, None
            return first
        item = self._decode_next()
        if item is None and self.loop and self._frames_in_pass > 0:
            try:
                self._rewind()
            except SourceError as err:
                self._state, self._last_error = SourceState.FAILED, str(err)
                return None
            self._clock.rewind()
            self._frames_in_pass = 0
            item = self._decode_next()
        if item is None:
            self._state = SourceState.ENDED
            return None
        self._frames_read += 1
        self._frames_in_pass += 1
        return item

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            if self._state is SourceState.CONNECTED:
                self._state = SourceState.ENDED
            self._release()

    def health(self) -> SourceHealth:
        return SourceHealth(
            state=self._state,
            frames_read=self._frames_read,
            frames_dropped=0,
            reconnects=0,
            last_error=self._last_error,
            fps=self._meter.rate(time.monotonic()),
        )
