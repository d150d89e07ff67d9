"""Records a virtual-camera clip: the video file plus one JSON line of ground truth per frame (vehicle ids,
classes, lanes, boxes, visibility, positions, speeds), so a clip can be replayed through the pipeline later
and its measurements scored against what really drove past."""
from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from edgesight.core.frame import Frame

from .camera import PoleCamera
from .camera_source import FrameTruth, SumoCameraSource
from .run import SumoRun
from .scenario import load_scenario


class ClipRecorder:
    """`write(frame, truth)` per frame; `close()` (or leave the `with` block) finalises the video."""

    def __init__(self, video_path: str | Path, truth_path: str | Path, fps: float, size: tuple[int, int]) -> None:
        self.video_path, self.truth_path = Path(video_path), Path(truth_path)
        self.video_path.parent.mkdir(parents=True, exist_ok=True)
        self.truth_path.parent.mkdir(parents=True, exist_ok=True)
        fourcc = cv2.VideoWriter_fourcc(*("MJPG" if self.video_path.suffix.lower() == ".avi" else "mp4v"))
        self._video = cv2.VideoWriter(str(self.video_path), fourcc, fps, size)
        if not self._video.isOpened():
            raise ValueError(f"ClipRecorder video_path={self.video_path}: OpenCV cannot write it; use a .mp4 or .avi path")
        self._size = size
        self._truth = self.truth_path.open("w")

    def write(self, frame: Frame, truth: FrameTruth) -> None:
        h, w = frame.shape
        if (w, h) != self._size:
            raise ValueError(f"ClipRecorder: frame {frame.seq} is {w}x{h} but the clip was opened at {self._size[0]}x{self._size[1]}")
        self._video.write(frame.image)
        vehicles = [
            {"id": vid, "class": cls, "lane": lane, "xyxy": None if np.isnan(box).any() else [round(float(v), 2) for v in box],
             "visibility": round(float(vis), 3), "labelled": bool(lab), "x": round(float(x), 3), "y": round(float(y), 3),
             "speed": round(float(speed), 3)}
            for vid, cls, lane, box, vis, lab, (x, y), speed in zip(
                truth.ids, truth.class_names, truth.lanes, truth.xyxy, truth.visibility, truth.labelled, truth.xy, truth.speed)
        ]
        self._truth.write(json.dumps({"seq": frame.seq, "sim_time": truth.sim_time, "vehicles": vehicles}) + "\n")

    def close(self) -> None:
        self._video.release()
        self._truth.close()

    def __enter__(self) -> ClipRecorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def read_truth(path: str | Path) -> list[FrameTruth]:
    """The ground truth a ClipRecorder wrote, frame by frame."""
    frames = []
    for line in Path(path).read_text().splitlines():
        row = json.loads(line)
        v = row["vehicles"]
        frames.append(FrameTruth(
            seq=row["seq"], sim_time=row["sim_time"], ids=[r["id"] for r in v], class_names=[r["class"] for r in v],
            lanes=[r["lane"] for r in v],
            xyxy=np.array([r["xyxy"] if r["xyxy"] is not None else [np.nan] * 4 for r in v], float).reshape(-1, 4),
            visibility=np.array([r["visibility"] for r in v], float), labelled=np.array([r["labelled"] for r in v], bool),
            xy=np.array([(r["x"], r["y"]) for r in v], float).reshape(-1, 2), speed=np.array([r["speed"] for r in v], float),
        ))
    return frames


def record_clip(scenario: str, camera: PoleCamera, video_path: str | Path, truth_path: str | Path, *,
                duration_s: float = 60.0, warmup_s: float = 120.0, seed: int = 42, program: str = "static") -> int:
    """Run bundled `scenario` in SUMO, let traffic build up for `warmup_s`, then record `duration_s` of what
    `camera` sees with its ground truth. Returns the number of frames written."""
    step = 1.0 / camera.fps
    frames = 0
    with SumoRun(load_scenario(scenario), seed=seed, program=program, step_length=step) as run:
        while run.time < warmup_s - 1e-9 and not run.finished:
            run.step()
            run.vehicle_states()  # the state reader subscribes vehicles in the step they depart
        source = SumoCameraSource(run, camera, seed=seed, until_s=run.time + duration_s)
        with ClipRecorder(video_path, truth_path, camera.fps, camera.resolution) as recorder:
            for frame in source:
                recorder.write(frame, source.truth)
                frames += 1
    return frames
