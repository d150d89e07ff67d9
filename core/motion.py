"""Motion gating, as Frigate does it: cheap frame differencing decides whether the detector runs at all, and on
which part of the frame.

A camera over a still scene (an empty conveyor between parts, a quiet approach at night) sends frames that are
the same as the last one the detector saw, give or take sensor and compression noise. For those the pipeline
keeps the detections it already has instead of running the model. Each frame is compared with the frames the
held detections came from, not with the previous frame, so slow movement adds up until it counts; and the
detector sees the whole frame at least every `refresh_s` seconds, so a held result never grows old.

When something moves in a small part of the frame, the detector runs on a crop around it (the moving areas
merged into one box, padded, grown to the model's input shape and never smaller than the model input in
pixels, so the crop is never upscaled beyond the scale the model was trained at); the detections it finds
replace the held ones inside the crop, and the held ones outside it stay. The crop also grows over every held
box it touches, so a still object on its edge is seen whole or not at all, never cut in two. Only the crop's
part of the reference is renewed: outside it, slow drift keeps adding up against the older reference.

With a static 640x640 model a 640 px crop costs the same model call as the whole frame: it buys resolution on
what moves (a 1080p frame is shrunk 3x to fit the model, a 640 px crop of it is not), not time. `crop_input`
buys time too: motion that fits in a crop_input x crop_input crop is detected by a copy of the model at that
input (core.detect.input_size; 320: a quarter of 640's work), still at the frame's own scale.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field


class MotionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    height: int = Field(180, ge=32, description="rows of the small grey copy that is compared (1080p: 1/6)")
    pixel_threshold: int = Field(25, ge=1, le=255, description="grey-level change that counts as a changed pixel; "
                                 "above sensor and H.264 noise")
    min_changed_pixels: int = Field(6, ge=1, description="changed pixels of the small copy that make motion; 6 at "
                                    "180 rows is about a 15x15 px patch of a 1080p frame")
    refresh_s: float = Field(2.0, gt=0, description="run the detector on the whole frame at least this often")
    regions: bool = Field(True, description="run the detector on a crop around what moved when that is a small "
                          "part of the frame")
    padding: float = Field(0.05, ge=0, description="margin around the moving areas, as a share of the frame "
                           "height (an object's edge that changed too little to count is still inside)")
    max_region_share: float = Field(0.5, gt=0, le=1, description="a crop larger than this share of the frame "
                                    "area is not worth it: detect on the whole frame")
    crop_input: int | None = Field(None, ge=32, multiple_of=32, description="motion that fits in a square crop of "
                                   "this side is detected by a copy of the model at this input size (less work "
                                   "than the model's own input; same scale as the frame)")


@dataclass(frozen=True, slots=True)
class Region:
    """The part of a frame the detector runs on, in frame pixels (x1, y1 exclusive)."""
    x0: int
    y0: int
    x1: int
    y1: int
    whole: bool  # the whole frame: its detections replace every held one
    input_side: int | None = None  # the square model input this crop is cut for; None: the model's own

    @classmethod
    def whole_frame(cls, height: int, width: int) -> Region:
        return cls(0, 0, width, height, True)

    def crop(self, image: np.ndarray) -> np.ndarray:
        return image if self.whole else image[self.y0:self.y1, self.x0:self.x1]

    def to_frame(self, detections: sv.Detections) -> sv.Detections:
        """Boxes found in the crop, moved to frame coordinates."""
        if not self.whole and len(detections):
            detections.xyxy = detections.xyxy + np.array([self.x0, self.y0, self.x0, self.y0], dtype=np.float32)
        return detections

    def touches(self, xyxy: np.ndarray) -> np.ndarray:
        """Per box: does it overlap the region?"""
        return ((xyxy[:, 0] < self.x1) & (xyxy[:, 2] > self.x0) & (xyxy[:, 1] < self.y1) & (xyxy[:, 3] > self.y0))

    def merge(self, held: sv.Detections, fresh: sv.Detections) -> sv.Detections:
        """The detections of the frame: `fresh` (found in the region, frame coordinates) replace the held ones
        the region touches; held ones elsewhere are kept, since nothing there changed."""
        if self.whole or len(held) == 0:
            return fresh
        return sv.Detections.merge([held[~self.touches(held.xyxy)], fresh])


class MotionGate:
    """`region(image, t, held_boxes) -> Region | None` for one camera: None for a still frame (keep the held
    detections), else where to run the detector. A region also becomes the new reference there."""

    def __init__(self, config: MotionConfig | None = None, input_hw: tuple[int, int] = (640, 640)) -> None:
        self.config = config or MotionConfig()
        self.input_hw = input_hw
        self._reference: np.ndarray | None = None
        self._refreshed_at = float("-inf")  # last whole-frame detection

    def _small_grey(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        rows = min(self.config.height, h)
        small = cv2.resize(image, (max(1, round(w * rows / h)), rows), interpolation=cv2.INTER_LINEAR)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return cv2.GaussianBlur(grey, (5, 5), 0)  # sensor noise and compression blocks are not motion

    def region(self, image: np.ndarray, t: float, held_boxes: np.ndarray | None = None) -> Region | None:
        h, w = image.shape[:2]
        grey = self._small_grey(image)
        if (self._reference is None or self._reference.shape != grey.shape
                or t - self._refreshed_at >= self.config.refresh_s):
            return self._detect_whole(grey, t, h, w)
        diff = cv2.absdiff(grey, self._reference)
        _, changed = cv2.threshold(diff, self.config.pixel_threshold, 255, cv2.THRESH_BINARY)
        if cv2.countNonZero(changed) < self.config.min_changed_pixels:
            return None
        region = self._crop_around(cv2.boundingRect(changed), grey.shape[0], h, w, held_boxes) \
            if self.config.regions else None
        if region is None or region.whole:
            return self._detect_whole(grey, t, h, w)
        sy, sx = grey.shape[0] / h, grey.shape[1] / w  # frame pixels -> small-copy pixels, outward
        ys, xs = slice(int(region.y0 * sy), int(np.ceil(region.y1 * sy))), slice(int(region.x0 * sx),
                                                                                 int(np.ceil(region.x1 * sx)))
        self._reference[ys, xs] = grey[ys, xs]
        return region

    def _detect_whole(self, grey: np.ndarray, t: float, h: int, w: int) -> Region:
        self._reference, self._refreshed_at = grey, t
        return Region.whole_frame(h, w)

    def _crop_around(self, changed_rect: tuple[int, int, int, int], small_h: int, h: int, w: int,
                     held_boxes: np.ndarray | None) -> Region | None:
        """The crop for the moving area `changed_rect` (x, y, w, h of the small copy), or None when it would be
        too large a share of the frame to be worth it."""
        scale, pad = h / small_h, self.config.padding * h
        x, y, rw, rh = changed_rect
        box = np.array([x * scale - pad, y * scale - pad, (x + rw) * scale + pad, (y + rh) * scale + pad])
        held = held_boxes if held_boxes is not None and len(held_boxes) else np.zeros((0, 4))
        for _ in range(4):  # grow over touched held boxes until none is cut; a few rounds settle it
            region = self._fit(box, h, w)
            touched = held[region.touches(held)]
            grown = np.concatenate([[[region.x0, region.y0, region.x1, region.y1]], touched])
            box = np.array([*grown[:, :2].min(axis=0), *grown[:, 2:].max(axis=0)])
            if not len(touched) or (box == [region.x0, region.y0, region.x1, region.y1]).all():
                break
        else:
            return None
        if (region.x1 - region.x0) * (region.y1 - region.y0) > self.config.max_region_share * h * w:
            return None
        return region

    def _fit(self, box: np.ndarray, h: int, w: int) -> Region:
        """`box` grown about its centre to the model input's shape, at least the input's size, moved inside the
        frame (and cut to it where the frame is smaller). The input is `crop_input` when the box fits in it."""
        bw, bh = box[2] - box[0], box[3] - box[1]
        side = self.config.crop_input
        fits_small = side is not None and bw <= side and bh <= side
        ih, iw = (side, side) if fits_small else self.input_hw
        s = max(bw / iw, bh / ih, 1.0)
        cw, ch = min(w, int(np.ceil(iw * s))), min(h, int(np.ceil(ih * s)))
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        x0 = int(np.clip(round(cx - cw / 2), 0, w - cw))
        y0 = int(np.clip(round(cy - ch / 2), 0, h - ch))
        whole = cw == w and ch == h
        return Region(x0, y0, x0 + cw, y0 + ch, whole, side if fits_small and not whole else None)
