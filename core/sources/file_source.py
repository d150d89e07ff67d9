"""Replay of a video file."""
from __future__ import annotations

from pathlib import Path

import cv2

from .errors import SourceError
from .replay_source import MediaImage, ReplaySource


class FileSource(ReplaySource):
    """Replays a video file (any container and codec OpenCV's FFmpeg reads), paced at the file's own timestamps
    unless `pace=False`, optionally looping. Frames carry their media timestamp.

    A file that ends before the frame count its header announces (truncated, corrupt tail) replays the frames
    that decode, then ends with health().last_error saying it was cut short."""

    def __init__(self, path: str | Path, *, source_id: str | None = None, pace: bool = True, loop: bool = False) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise SourceError(f"video file {self.path}: not found; check the path")
        if not self.path.is_file():
            raise SourceError(f"video file {self.path}: not a regular file; give the path of a video file")
        self._capture = self._open()
        self._announced_frames = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        first = self._grab()
        if first is None:
            self._capture.release()
            raise SourceError(
                f"video file {self.path}: opens but no frame decodes (empty or corrupt); re-export or replace it"
            )
        announced_fps = self._capture.get(cv2.CAP_PROP_FPS)
        height, width = first[0].shape[:2]
        super().__init__(
            source_id or self.path.stem,
            announced_fps if announced_fps > 0 else None,
            (width, height),
            first,
            pace=pace,
            loop=loop,
        )

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
        return image, self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0

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

    def _release(self) -> None:
        self._capture.release()
