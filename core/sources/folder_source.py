"""Replay of a folder of still images as a video."""
from __future__ import annotations

from pathlib import Path

import cv2

from .errors import SourceError
from .replay_source import MediaImage, ReplaySource

IMAGE_SUFFIXES = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")


class FolderSource(ReplaySource):
    """Replays the images of a folder in name order (zero-pad numbered names) at `fps`, optionally looping.

    An image that does not decode is skipped and named in health().last_error; its slot in media time stays
    empty. `size` is that of the first image; later images keep their own size."""

    def __init__(
        self,
        path: str | Path,
        *,
        source_id: str | None = None,
        pace: bool = True,
        loop: bool = False,
        fps: float = 10.0,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise SourceError(f"image folder {self.path}: not found or not a folder; check the path")
        if not fps > 0:
            raise SourceError(f"image folder {self.path}: fps must be above 0, got {fps}; set the fps option")
        self._fps = float(fps)
        self._files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not self._files:
            raise SourceError(
                f"image folder {self.path}: holds no {'/'.join(IMAGE_SUFFIXES)} files; point it at a folder of images"
            )
        self._position = 0
        first = self._decode_next()
        if first is None:
            raise SourceError(f"image folder {self.path}: none of its {len(self._files)} images decodes; check them")
        height, width = first[0].shape[:2]
        super().__init__(source_id or self.path.name, self._fps, (width, height), first, pace=pace, loop=loop)

    def _decode_next(self) -> MediaImage | None:
        while self._position < len(self._files):
            path, position = self._files[self._position], self._position
            self._position += 1
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is not None:
                return image, position / self._fps
            self._last_error = f"image {path}: cannot be decoded; skipped it"
        return None

    def _rewind(self) -> None:
        self._position = 0

    def _release(self) -> None:
        """Images are read whole; nothing stays open."""
