"""Two camera views in one model input. A square detector input wastes a third of itself on letterbox bars
around one 16:9 frame; two 2:1 views (640x320) stacked top to bottom fill a 640x640 input exactly, so one
model call detects both at full resolution. StackedViews is the source that stacks them; SplitViews is the
sink that hands each view its own part of the frame and of the detections, as if it had come alone."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import supervision as sv

from edgesight.core.frame import Frame
from edgesight.core.pipeline import FrameSink
from edgesight.core.sources.health import SourceHealth, SourceState
from edgesight.core.sources.video_source import CapturedImage, VideoSource


class StackedViews(VideoSource):
    """Frames of `views` (one width, one frame rate, read in step) stacked top to bottom. A frame counts as
    captured when its last view was; it ends when any view ends."""

    def __init__(self, views: Sequence[VideoSource]) -> None:
        super().__init__()
        widths = {view.size[0] for view in views}
        if len(widths) != 1:
            raise ValueError(f"StackedViews: views are {sorted(widths)} pixels wide; stack views of one width")
        self.views = list(views)
        self.source_id = "+".join(view.source_id for view in views)
        self.live = any(view.live for view in views)
        self.fps = views[0].fps
        self.size = (views[0].size[0], sum(view.size[1] for view in views))
        tops = np.cumsum([0] + [view.size[1] for view in views])
        self.bands = [(view.source_id, int(tops[i]), int(tops[i + 1])) for i, view in enumerate(views)]
        self._ended = False

    def read(self) -> Frame | None:
        frames = []
        for view in self.views:
            frame = view.read()
            if frame is None:
                self._ended = True
                return None
            frames.append(frame)
        last = max(frames, key=lambda f: f.t_capture)
        return self._deliver(CapturedImage(np.vstack([f.image for f in frames]), last.t_capture, last.wall_capture,
                                           last.stamps.get("decoded", last.t_capture), media_ts=frames[0].media_ts))

    def close(self) -> None:
        for view in self.views:
            view.close()

    def health(self) -> SourceHealth:
        return SourceHealth(state=SourceState.ENDED if self._ended else SourceState.CONNECTED, frames_read=self._next_seq,
                            frames_dropped=0, reconnects=0, last_error=None, fps=self.fps or 0.0)


class SplitViews:
    """A FrameSink in front of `sink`: each frame of a StackedViews source reaches `sink` as one frame per view,
    with that view's source id, image band and detections (the boxes whose centre lies in its band)."""

    def __init__(self, sink: FrameSink, stacks: Sequence[StackedViews]) -> None:
        self.sink = sink
        self.bands = {stack.source_id: stack.bands for stack in stacks}

    def emit(self, frame: Frame, detections: sv.Detections) -> None:
        centre_y = (detections.xyxy[:, 1] + detections.xyxy[:, 3]) / 2
        for source_id, top, bottom in self.bands[frame.source_id]:
            view = detections[(centre_y >= top) & (centre_y < bottom)]
            view.xyxy = np.column_stack([view.xyxy[:, 0], np.clip(view.xyxy[:, 1] - top, 0, bottom - top),
                                         view.xyxy[:, 2], np.clip(view.xyxy[:, 3] - top, 0, bottom - top)])
            self.sink.emit(dataclasses.replace(frame, source_id=source_id, image=frame.image[top:bottom]), view)
