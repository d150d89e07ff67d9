"""Boxes, classes and track ids drawn on the frames (supervision annotators), written to a video file."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from ..frame import Frame


class FrameAnnotator:
    """Draws one frame's tracked detections; shared by the video writer and the live window."""

    def __init__(self) -> None:
        self._boxes = sv.BoxAnnotator(thickness=2, color_lookup=sv.ColorLookup.TRACK)
        self._labels = sv.LabelAnnotator(text_scale=0.4, text_padding=3, color_lookup=sv.ColorLookup.TRACK)

    def draw(self, image: np.ndarray, detections: sv.Detections) -> np.ndarray:
        canvas = image.copy()
        if len(detections) == 0:
            return canvas
        if detections.tracker_id is None:  # colour by class when nothing is tracked
            detections = sv.Detections(xyxy=detections.xyxy, confidence=detections.confidence,
                                       class_id=detections.class_id, tracker_id=detections.class_id,
                                       data=detections.data)
        names = detections.data.get("class_name", detections.class_id.astype(str))
        labels = [f"#{t} {n} {c:.2f}" for t, n, c in zip(detections.tracker_id, names, detections.confidence)]
        canvas = self._boxes.annotate(canvas, detections)
        return self._labels.annotate(canvas, detections, labels=labels)


class AnnotatedVideoWriter:
    """`--save out.mp4`: one file per run; several sources are written side by side in separate files."""

    def __init__(self, path: str | Path, fps: float = 25.0) -> None:
        self.path = Path(path)
        self.fps = fps
        self._annotator = FrameAnnotator()
        self._writers: dict[str, cv2.VideoWriter] = {}

    def _path_for(self, source_id: str) -> Path:
        return self.path if not self._writers else self.path.with_name(f"{self.path.stem}-{source_id}{self.path.suffix}")

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        writer = self._writers.get(frame.source_id)
        if writer is None:
            h, w = frame.image.shape[:2]
            path = self._path_for(frame.source_id)
            fourcc = cv2.VideoWriter_fourcc(*("mp4v" if path.suffix.lower() == ".mp4" else "MJPG"))
            writer = cv2.VideoWriter(str(path), fourcc, self.fps, (w, h))
            if not writer.isOpened():
                raise OSError(f"cannot write video {path}: use a .mp4 or .avi name in a writable folder")
            self._writers[frame.source_id] = writer
        writer.write(self._annotator.draw(frame.image, detections))

    def close(self) -> None:
        for writer in self._writers.values():
            writer.release()
