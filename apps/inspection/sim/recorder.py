"""Records a simulated run: the video as the camera saw it, one JSON line of ground truth per frame and, on close,
the ground truth of every part that appeared (kind, defects, when it crossed the camera axis and the diverter)."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import cv2

from edgesight.core.frame import Frame

from .conveyor import ConveyorSimulator
from .scene import FrameTruth


class LineRecorder:
    def __init__(self, out: str | Path, fps: float, size: tuple[int, int]) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.video_path = self.out / "video.mp4"
        self._video = cv2.VideoWriter(str(self.video_path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not self._video.isOpened():
            raise RuntimeError(f"cannot open {self.video_path} for writing: OpenCV lacks an mp4v encoder or the folder is read-only")
        self._frames = (self.out / "frames.jsonl").open("w")
        self._parts: set[int] = set()

    def write(self, frame: Frame, t_sim: float, truth: FrameTruth) -> None:
        self._video.write(frame.image)
        self._frames.write(json.dumps({"seq": frame.seq, "t": round(t_sim, 6), **truth.to_dict()}) + "\n")
        self._parts.update(truth.part_id.tolist())

    def close(self, line: ConveyorSimulator, camera: dict) -> Path:
        """Write parts.json (every part seen, with the line and camera settings) and close the files."""
        self._video.release()
        self._frames.close()
        spec = line.line
        parts = []
        for k in sorted(self._parts):
            p = line.part(k)
            parts.append({"part_id": k, "kind": p.spec.kind, "defects": list(p.spec.defects),
                          "size_mm": list(p.spec.size_mm), "angle_deg": round(p.spec.angle_deg, 2),
                          "lateral_mm": round(p.lateral_mm, 2), "t_axis": round(p.t_axis, 6),
                          "t_diverter": round(p.time_at(spec.diverter_mm), 6)})
        path = self.out / "parts.json"
        path.write_text(json.dumps({"line": asdict(spec), "camera": camera, "parts": parts}, indent=1))
        return path
