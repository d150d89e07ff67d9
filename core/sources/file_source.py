"""Replay of a video file."""
from __future__ import annotations

from pathlib import Path

import cv2

from .errors import SourceError
from .replay_source import MediaImage, ReplaySource

# Only to space the timestamps of a file that announces no frame rate: the common camera rate.
FALLBACK_FPS = 25.0


class FileSource(ReplaySource):
    """Replays a video file (any container and codec OpenCV's FFmpeg reads), paced at the file's own timestamps
    unless `pace=False`, optionally looping. Frames carry their media timestamp.

    A file that ends before the frame count its header announces (truncated, corrupt tail) replays the frames
    that decode, then ends with health().last_error saying it was cut short."""

    def __init__(
        self, path: str | Path, *, source_id: str | None = None, pace: bool = True, loop: bool = False
    ) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise SourceError(f"video file {self.path}: not found; check the path")
        if not self.path.is_file():
            raise SourceError(f"video file {self.path}: not a regular file; give the path of a video file")
        self._capture = self._open()
        self._announced_frames = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        announced_fps = self._capture.get(cv2.CAP_PROP_FPS)
        fps = announced_fps if announced_fps > 0 else None
        self._frame_step = 1.0 / (fps or FALLBACK_FPS)
        self._origin: float | None = None
        self._previous_ts: float | None = None
        first = self._grab()
        if first is None:
            self._capture.release()
            raise SourceError(
                f"video file {self.path}: opens but no frame decodes (empty or corrupt); re-export or replace it"
            )
        height, width = first[0].shape[:2]
        super().__init__(source_id or self.path.stem, fps, (width, height), first, pace=pace, loop=loop)

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not capture.isOpened():
            raise SourceError(
                f"video file {self.path}: cannot be opened as a video (not a video file, or truncated or corrupt "
                "so that its index is missing); check the file or re-export it"
            )
        return capture

    def _grab(self) -> MediaImage | None:
        ok, image = self._capture.read()
        if not ok:
            return None
        # Positions are taken relative to the first frame: decoders with a delay report it shifted (an MPEG-4
        # AVI from the field starts at 0.12 s). A position that does not advance is not one: decoders flushing
        # at the end of a file report 0, so the timeline goes on at the nominal rate there.
        position = self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        if self._origin is None:
            self._origin = position
        media_ts = position - self._origin
        if self._previous_ts is not None and not media_ts > self._previous_ts:
            media_ts = self._previous_ts + self._frame_step
        self._previous_ts = media_ts
        return image, media_ts

    def _decode_next(self) -> MediaImage | None:
        item = self._grab()
        # One frame of slack: some containers only estimate their frame count from duration x fps.
        if item is None and self._frames_in_pass < self._announced_frames - 1:
            self._last_error = (
                f"video file {self.path}: cut short after {self._frames_in_pass} of {self._announced_frames} "
                "frames (truncated or corrupt); the rest cannot be replayed"
            )
        return item

    def _rewind(self) -> None:
        self._capture.release()
        self._capture = self._open()
        self._origin = self._previous_ts = None

    def _release(self) -> None:
        self._capture.release()
