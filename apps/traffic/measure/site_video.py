"""`--save`: the tracked vehicles drawn over the site's lanes and lines, to check counts by eye."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import supervision as sv

from edgesight.core.frame import Frame
from edgesight.core.sinks import AnnotatedVideoWriter

from .preview import SiteOverlay
from .site import SiteConfig


class SiteVideoWriter:
    """A FrameSink: core's annotated video with the site overlay under the boxes."""

    def __init__(self, path: str | Path, config: SiteConfig, fps: float) -> None:
        self.overlay = SiteOverlay(config)
        self.video = AnnotatedVideoWriter(path, fps=fps)

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        self.video.emit(dataclasses.replace(frame, image=self.overlay.draw(frame.image)), detections)

    def close(self) -> None:
        self.video.close()
