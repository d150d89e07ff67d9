"""Two 640x320 camera views in one 640x640 detector input: the stacked frame, and each view's own frame and
boxes handed on as if it had come alone."""
from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from edgesight.apps.traffic.measure.stacked_views import SplitViews, StackedViews
from edgesight.core.sources import open_source


def folder_of_frames(folder: Path, shade: int, frames: int = 3) -> Path:
    folder.mkdir()
    for i in range(frames):
        cv2.imwrite(str(folder / f"{i:03d}.png"), np.full((320, 640, 3), shade + i, np.uint8))
    return folder


class Collected:
    def __init__(self) -> None:
        self.frames: list = []

    def emit(self, frame, detections: sv.Detections) -> None:
        self.frames.append((frame, detections))


def test_two_views_fill_one_square_frame_and_each_gets_back_its_own_band_and_boxes(tmp_path: Path) -> None:
    top = open_source(str(folder_of_frames(tmp_path / "north", 10)), source_id="cam-north", pace=False)
    bottom = open_source(str(folder_of_frames(tmp_path / "south", 100)), source_id="cam-south", pace=False)
    stack = StackedViews([top, bottom])
    assert stack.size == (640, 640) and stack.source_id == "cam-north+cam-south"
    frames = list(stack)
    assert len(frames) == 3 and frames[1].image.shape == (640, 640, 3)
    assert frames[1].image[0, 0, 0] == 11 and frames[1].image[639, 0, 0] == 101

    collected = Collected()
    # One box in each view, and one straddling the seam that belongs to the view holding its centre.
    boxes = sv.Detections(xyxy=np.array([[10, 20, 60, 80], [100, 400, 180, 460], [300, 300, 340, 360]], np.float32),
                          confidence=np.array([0.9, 0.8, 0.7], np.float32), class_id=np.array([0, 1, 0]))
    SplitViews(collected, [stack]).emit(frames[1], boxes)
    (north, north_boxes), (south, south_boxes) = collected.frames
    assert (north.source_id, south.source_id) == ("cam-north", "cam-south")
    assert north.image.shape == south.image.shape == (320, 640, 3) and south.image[0, 0, 0] == 101
    assert north_boxes.xyxy.tolist() == [[10, 20, 60, 80]]
    assert south_boxes.xyxy.tolist() == [[100, 80, 180, 140], [300, 0, 340, 40]]
    assert north.seq == south.seq == frames[1].seq
