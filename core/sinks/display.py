"""`--show`: a live OpenCV window per source; `q` or Esc asks the pipeline to stop."""
from __future__ import annotations

from typing import Callable

import cv2
import supervision as sv

from ..frame import Frame
from .annotated_video import FrameAnnotator


class DisplayWindow:
    def __init__(self, on_quit: Callable[[], None]) -> None:
        self._annotator = FrameAnnotator()
        self._on_quit = on_quit

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        try:
            cv2.imshow(f"EdgeSight {frame.source_id}", self._annotator.draw(frame.image, detections))
            key = cv2.waitKey(1) & 0xFF
        except cv2.error as exc:
            raise RuntimeError("--show needs a display (and an OpenCV build with GUI support); use --save out.mp4 "
                               "on a headless machine") from exc
        if key in (ord("q"), 27):
            self._on_quit()

    def close(self) -> None:
        cv2.destroyAllWindows()
