"""FFmpeg demuxer options for OpenCV captures, which OpenCV only takes from a process-wide variable."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

OPTIONS_VARIABLE = "OPENCV_FFMPEG_CAPTURE_OPTIONS"


class FfmpegCaptureOptions:
    """Sets OPENCV_FFMPEG_CAPTURE_OPTIONS around an open. Opens that want the same options overlap freely
    (so one slow camera does not hold up the others); one that wants different options waits until they
    are done, so no open ever reads another's options."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._value: str | None = None
        self._users = 0

    @staticmethod
    def encode(options: Mapping[str, str]) -> str:
        return "|".join(f"{key};{value}" for key, value in options.items())

    @contextmanager
    def applied(self, options: Mapping[str, str]) -> Iterator[None]:
        value = self.encode(options)
        with self._cond:
            self._cond.wait_for(lambda: self._users == 0 or self._value == value)
            if self._users == 0:
                os.environ[OPTIONS_VARIABLE] = value
                self._value = value
            self._users += 1
        try:
            yield
        finally:
            with self._cond:
                self._users -= 1
                self._cond.notify_all()


# One per process, like the variable it guards.
FFMPEG_CAPTURE_OPTIONS = FfmpegCaptureOptions()
