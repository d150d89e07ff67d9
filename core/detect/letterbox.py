"""Letterbox images into the model input with one resize each, straight into a preallocated canvas.

Per frame the only work is the resize (written into the canvas in place) and one `cv2.dnn.blobFromImage` call
that scales, swaps colour order and lays the image out as NCHW in a single pass. The padding border is painted
only when the image size changes, so a camera at a fixed resolution never repaints it. Canvases belong to the
calling thread: the pipeline's inference thread and any direct `detector(images)` caller never share one.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

import cv2
import numpy as np

from .layouts import InputConvention


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How one image was fitted into the model input: scale, then padding offset."""
    scale: float
    pad_x: float
    pad_y: float
    height: int
    width: int


class _Canvas:
    """One model-input image and the letterbox last drawn on it."""

    def __init__(self, input_hw: tuple[int, int], pad_value: int) -> None:
        self.pixels = np.full((*input_hw, 3), pad_value, dtype=np.uint8)
        self.pad_value = pad_value
        self.fitted_to: tuple[int, int] | None = None  # (h, w) of the image whose geometry the border matches

    def draw(self, image: np.ndarray, centered: bool) -> Letterbox:
        ih, iw = self.pixels.shape[:2]
        h, w = image.shape[:2]
        r = min(ih / h, iw / w)
        nh, nw = int(round(h * r)), int(round(w * r))
        px, py = ((iw - nw) // 2, (ih - nh) // 2) if centered else (0, 0)
        if self.fitted_to != (h, w):
            self.pixels[:] = self.pad_value
            self.fitted_to = (h, w)
        region = self.pixels[py:py + nh, px:px + nw]
        if (nh, nw) == (h, w):
            region[:] = image
        else:
            cv2.resize(image, (nw, nh), dst=region, interpolation=cv2.INTER_LINEAR)
        return Letterbox(r, px, py, h, w)


class Letterboxer:
    """`fit(images) -> (NCHW blob, letterboxes)` for one model input size and input convention.

    A batch (several cameras) is letterboxed on a small thread pool, one image per task: resize and blob
    conversion run in OpenCV with the GIL released, so a many-camera GPU box uses its cores for them."""

    def __init__(self, input_hw: tuple[int, int], convention: InputConvention, dtype: type = np.float32) -> None:
        self.input_hw = input_hw
        self.convention = convention
        self.dtype = dtype
        self._local = threading.local()
        self._pool: ThreadPoolExecutor | None = None

    def _canvases(self, n: int) -> list[_Canvas]:
        canvases = getattr(self._local, "canvases", None)
        if canvases is None:
            canvases = self._local.canvases = []
        while len(canvases) < n:
            canvases.append(_Canvas(self.input_hw, self.convention.pad_value))
        return canvases[:n]

    def _blob_of(self, canvas: _Canvas) -> np.ndarray:
        return cv2.dnn.blobFromImage(canvas.pixels, scalefactor=self.convention.scale, swapRB=self.convention.rgb)

    def _each(self, n: int, work: Callable[[int], Letterbox]) -> list[Letterbox]:
        """`work(i)` for every image of the batch, on the pool when there is more than one."""
        if n == 1:
            return [work(0)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="letterbox")
        return list(self._pool.map(work, range(n)))

    def fit(self, images: Sequence[np.ndarray]) -> tuple[np.ndarray, list[Letterbox]]:
        canvases = self._canvases(len(images))
        if len(images) == 1:
            box = canvases[0].draw(images[0], self.convention.centered)
            return self._blob_of(canvases[0]).astype(self.dtype, copy=False), [box]
        blob = np.empty((len(images), 3, *self.input_hw), dtype=np.float32)

        def fit_one(i: int) -> Letterbox:
            box = canvases[i].draw(images[i], self.convention.centered)
            blob[i] = self._blob_of(canvases[i])[0]
            return box

        boxes = self._each(len(images), fit_one)
        return blob.astype(self.dtype, copy=False), boxes

    def fit_pixels(self, images: Sequence[np.ndarray]) -> tuple[np.ndarray, list[Letterbox]]:
        """The letterboxed canvases as one uint8 (N, H, W, 3) BGR array, for an engine that scales and reorders
        on its own device: a quarter of the bytes to copy there, and no float work on the CPU."""
        canvases = self._canvases(len(images))
        boxes = self._each(len(images), lambda i: canvases[i].draw(images[i], self.convention.centered))
        return np.stack([c.pixels for c in canvases]), boxes
