"""YOLO detection on ONNX Runtime: letterbox, batched inference, decode, per-class NMS -> `sv.Detections`.

The three steps are public (`preprocess`, `infer`, `postprocess`) so the pipeline can stamp latency around the
model call and the benchmark can time the bare `session.run` on the same tensors.
"""
from __future__ import annotations

import functools
import logging
import platform
import tempfile
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import onnxruntime as ort
import supervision as sv

from .layouts import LAYOUTS, OutputLayout, infer_layout
from .letterbox import Letterbox, Letterboxer
from .mirrored_views import fuse_views, unmirror
from .model_info import COCO80, load_names, parse_metadata, read_sidecar
from .nms import nms

log = logging.getLogger(__name__)

# Execution providers in order of preference; the first one installed wins unless the caller names one.
PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "OpenVINOExecutionProvider", "CoreMLExecutionProvider",
                       "CPUExecutionProvider")
DEVICE_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider",
                    "openvino": "OpenVINOExecutionProvider", "coreml": "CoreMLExecutionProvider"}


class DetectorError(ValueError):
    """A model that cannot be used; the message names the file and says what to do."""


def choose_providers(device: str = "auto") -> list[str]:
    available = ort.get_available_providers()
    if device == "auto":
        return list(dict.fromkeys([p for p in PREFERRED_PROVIDERS if p in available][:1] + ["CPUExecutionProvider"]))
    wanted = DEVICE_PROVIDERS.get(device)
    if wanted is None:
        raise DetectorError(f"unknown device '{device}'; use one of auto, {', '.join(DEVICE_PROVIDERS)}")
    if wanted not in available:
        raise DetectorError(f"device '{device}' needs {wanted}, but this onnxruntime has only {available}; "
                            f"install the matching onnxruntime package or use --device cpu")
    return list(dict.fromkeys([wanted, "CPUExecutionProvider"]))


def session_options(threads: int = 0) -> ort.SessionOptions:
    """The ONNX Runtime settings every EdgeSight session uses (the benchmark gives Ultralytics the same ones)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # Idle workers sleep instead of spinning: a spinning worker holds a core that the pipeline's decode and
    # tracking threads need between model calls (the bench measured both the floor and the pipeline faster).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # initializer-in-inputs warnings of older exports are noise
    if int8_products_saturate():
        # ONNX Runtime multiplies INT8 (QDQ) weights through a 16-bit intermediate on such CPUs, which saturates:
        # the shipped INT8 inspection model rejected 15 % of good parts on an AVX2 AMD EPYC instead of 1 %.
        # This entry has it re-encode the weights as uint8 for an exact, slower kernel; FP32 models are unaffected.
        options.add_session_config_entry("session.x64quantprecision", "1")
    return options


@functools.cache  # every session and detector asks; the CPU does not change under a running process
def int8_products_saturate(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this is an x86-64 CPU without VNNI (AVX-512 VNNI or AVX-VNNI), where ONNX Runtime's fast INT8 kernel
    saturates. Where the flags cannot be read, assume it does: the exact kernel is only slower, never wrong."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        flags = next(line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return True
    return not {"avx512_vnni", "avx_vnni"} & set(flags)


def has_int8_weights(model: Path) -> bool:
    """Whether a QDQ model dequantizes 8-bit weights (what `edgesight quantize` and the INT8 recipe write)."""
    import onnx

    graph = onnx.load(str(model), load_external_data=False).graph
    eight_bit = {i.name for i in graph.initializer if i.data_type in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)}
    return any(n.op_type == "DequantizeLinear" and n.input[0] in eight_bit for n in graph.node)


_NOTED_INT8_MODELS: set[str] = set()  # stems already named: a model's copies at other input sizes share its stem


def _note_exact_int8_kernel(model: Path) -> None:
    """Say once per model, not again for each of its copies at other input sizes, that an INT8 file runs on the
    exact kernel here."""
    stem = model.name.split(".")[0]
    if stem in _NOTED_INT8_MODELS or not has_int8_weights(model):
        return
    _NOTED_INT8_MODELS.add(stem)
    log.info("%s is INT8 and this CPU has no VNNI: ONNX Runtime runs it on its exact INT8 kernel (its fast one "
             "saturates here), which is about as fast as FP32; INT8 pays off on CPUs with VNNI", model.name)


class Detector:
    """`detector(images) -> list[sv.Detections]`, one per image, boxes in the image's own pixels."""

    def __init__(self, model: str | Path, *, conf: float = 0.25, iou: float = 0.45,
                 classes: Sequence[int | str] | None = None, names: str | Path | Sequence[str] | None = None,
                 input_size: int | tuple[int, int] | None = None, layout: str | None = None,
                 device: str = "auto", threads: int = 0, max_det: int = 300, mirrored: bool = False) -> None:
        self.path = Path(model)
        # what a copy of this detector at another input size is built with (at_input_size)
        self._settings = dict(conf=conf, iou=iou, classes=classes, names=names, layout=layout, device=device,
                              threads=threads, max_det=max_det, mirrored=mirrored)
        self.mirrored = mirrored  # each image is also run mirrored and the two views fused (mirrored_views.py)
        if not self.path.is_file():
            raise DetectorError(f"model file not found: {self.path} (give the path of an ONNX detection model)")
        self.threads = threads
        try:
            # device "torch": the graph runs in torch on the GPU, and this session only describes the model
            providers = choose_providers("cpu" if device == "torch" else device)
            self.session = ort.InferenceSession(str(self.path), session_options(threads), providers=providers)
        except DetectorError:
            raise
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... types
            first = str(exc).strip().splitlines()[0][:200]
            raise DetectorError(f"{self.path} is not a loadable ONNX model ({first}); export it with "
                                f"`edgesight export` or `yolo export format=onnx`") from exc
        if self.session.get_providers()[0] == "CPUExecutionProvider" and int8_products_saturate():
            _note_exact_int8_kernel(self.path)

        inp = self.session.get_inputs()[0]
        out = self.session.get_outputs()[0]
        meta = parse_metadata(self.session.get_modelmeta().custom_metadata_map)
        meta.update(read_sidecar(self.path))
        if len(inp.shape) != 4:
            raise DetectorError(f"{self.path} is not an image detection model: input {inp.name} has shape "
                                f"{inp.shape}, expected [N, 3, H, W]")
        self.input_name = inp.name
        self.input_hw = self._input_hw(inp.shape, input_size or meta.get("imgsz"))
        self.batch_size = inp.shape[0] if isinstance(inp.shape[0], int) else None  # None: any batch size
        try:
            self.layout: OutputLayout = LAYOUTS[layout] if layout else infer_layout(
                tuple(out.shape), self.input_hw, meta)
        except KeyError:
            raise DetectorError(f"unknown layout '{layout}'; use one of {', '.join(LAYOUTS)}") from None
        except ValueError as exc:
            raise DetectorError(f"{self.path} is not a detection model EdgeSight can read: {exc}") from None
        self.names = self._class_names(names, meta, out.shape)
        self.conf, self.iou, self.max_det = conf, iou, max_det
        self.classes = None if classes is None else self._class_ids(classes)
        self.letterboxer = Letterboxer(self.input_hw, self.layout.convention,
                                       np.float16 if "float16" in inp.type else np.float32)
        self.providers = self.session.get_providers()
        self.engine = self._torch_engine() if device == "torch" else None

    def _class_ids(self, classes: Sequence[int | str]) -> np.ndarray:
        """Class filter from ids or names; an unknown name is an error that lists the model's classes."""
        ids = []
        for c in classes:
            if isinstance(c, str) and not c.isdigit():
                if c not in self.names:
                    raise DetectorError(f"class '{c}' is not in {self.path.name}'s classes ({', '.join(self.names)})")
                ids.append(self.names.index(c))
            else:
                ids.append(int(c))
        return np.asarray(sorted(set(ids)), dtype=np.int64)

    def _input_hw(self, shape: list, requested) -> tuple[int, int]:
        h, w = shape[2], shape[3]
        if isinstance(h, int) and isinstance(w, int):
            return h, w
        if requested is None:
            return 640, 640
        if isinstance(requested, int):
            return requested, requested
        return int(requested[0]), int(requested[1])

    def _class_names(self, names, meta: dict, out_shape) -> list[str]:
        if names is not None:
            return load_names(names)
        if "names" in meta:
            return load_names(meta["names"])
        nc = self._num_classes(out_shape)
        if nc == 80:
            return list(COCO80)
        return [f"class{i}" for i in range(nc or 0)]

    def _num_classes(self, out_shape) -> int | None:
        d1, d2 = out_shape[1], out_shape[2]
        if self.layout.name == "yolov8" and isinstance(d1, int):
            return d1 - 4
        if self.layout.name in ("yolov5", "yolox") and isinstance(d2, int):
            return d2 - 5
        return None

    # --- the three steps -------------------------------------------------------------------------------------
    def preprocess(self, images: Sequence[np.ndarray]) -> tuple[np.ndarray, list[Letterbox]]:
        """Letterbox every image into the model input and stack them into one NCHW float tensor (for the torch
        engine: the uint8 NHWC canvases, which it converts on the GPU). A mirrored detector's batch holds the
        images, then their mirror images."""
        if self.mirrored:
            images = [*images, *(cv2.flip(image, 1) for image in images)]
        if self.engine is not None:
            return self.letterboxer.fit_pixels(images)
        return self.letterboxer.fit(images)

    def _torch_engine(self):
        try:
            from .torch_engine import TorchEngine

            engine = TorchEngine(self.path, self.layout.convention)
        except (ImportError, RuntimeError) as exc:
            raise DetectorError(f"device 'torch' runs the model through torch on a GPU and needs torch, onnx2torch "
                                f"and CUDA: {exc}") from exc
        self.providers = [engine.name]
        return engine

    def _run(self, blob: np.ndarray) -> np.ndarray:
        if self.engine is not None:
            return self.engine.run(blob)
        return self.session.run(None, {self.input_name: blob})[0]

    def infer(self, blob: np.ndarray) -> np.ndarray:
        """The bare model call. A fixed-batch model is fed in chunks of its batch size."""
        if self.batch_size is None or blob.shape[0] == self.batch_size:
            return self._run(blob)
        outs = []
        for start in range(0, blob.shape[0], self.batch_size):
            chunk = blob[start:start + self.batch_size]
            n = chunk.shape[0]
            if n < self.batch_size:  # pad the last chunk of a fixed-batch model
                chunk = np.concatenate([chunk, np.repeat(chunk[-1:], self.batch_size - n, axis=0)])
            outs.append(self._run(chunk)[:n])
        return np.concatenate(outs)

    def postprocess(self, output: np.ndarray, letterboxes: Sequence[Letterbox]) -> list[sv.Detections]:
        if not self.mirrored:
            return self._detections(output, letterboxes, self.conf)
        # A box one view scores below half the floor adds under a quarter of it to a fused score: taken as 0.
        views = self._detections(output, letterboxes, self.conf / 2)
        n = len(views) // 2
        fused = [fuse_views([seen, unmirror(mirror, lb.width)])
                 for seen, mirror, lb in zip(views[:n], views[n:], letterboxes[n:])]
        return [found[found.confidence >= self.conf] for found in fused]

    def _detections(self, output: np.ndarray, letterboxes: Sequence[Letterbox], conf: float) -> list[sv.Detections]:
        results = []
        for (boxes, scores, class_ids), lb in zip(
                self.layout.decode(output.astype(np.float32, copy=False), conf, self.input_hw), letterboxes):
            if self.classes is not None:
                keep = np.isin(class_ids, self.classes)
                boxes, scores, class_ids = boxes[keep], scores[keep], class_ids[keep]
            if self.layout.needs_nms:
                keep = nms(boxes, scores, class_ids, self.iou, self.max_det)
                boxes, scores, class_ids = boxes[keep], scores[keep], class_ids[keep]
            xyxy = (boxes - np.array([lb.pad_x, lb.pad_y, lb.pad_x, lb.pad_y], dtype=np.float32)) / lb.scale
            xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, lb.width)
            xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, lb.height)
            class_ids = class_ids.astype(int)
            labels = np.array([self.names[c] if 0 <= c < len(self.names) else str(c) for c in class_ids], dtype=str)
            results.append(sv.Detections(xyxy=xyxy.astype(np.float32), confidence=scores.astype(np.float32),
                                         class_id=class_ids, data={"class_name": labels}))
        return results

    def __call__(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        blob, letterboxes = self.preprocess(images)
        return self.postprocess(self.infer(blob), letterboxes)

    def at_input_size(self, side: int) -> Detector:
        """This detector on a `side` x `side` copy of its model (core.detect.input_size), for a box that must do
        less per frame. Raises DetectorError for a model whose anchor grid that copy cannot move."""
        return self._copy_at((side, side))

    def _copy_at(self, hw: tuple[int, int]) -> Detector:
        from .input_size import make_input_size_copy

        with tempfile.TemporaryDirectory(prefix="edgesight-") as work:  # the session keeps the graph in memory
            copy = Detector(make_input_size_copy(self.path, Path(work) / f"{self.path.stem}.{hw[0]}x{hw[1]}.onnx", hw),
                            **self._settings)
        copy.path = self.path  # what the user gave: messages, and copies at other sizes, start from it
        return copy

    def fitted_to(self, width: int, height: int) -> Detector:
        """This detector on a copy of its model whose input has the shape of `width` x `height` frames
        (core.detect.input_size.fitted_input_hw): the same scale and the same boxes, without the letterbox padding
        a square input spends work on. Itself where there is nothing to cut (square frames, a non-square input, the
        torch engine) or where its graph cannot be moved (a dynamic input, another head; logged): a fitted input is
        a saving, never a requirement."""
        from .input_size import fitted_input_hw

        hw = fitted_input_hw(self.input_hw, (width, height))
        if hw == self.input_hw or self.engine is not None:
            return self
        try:
            return self._copy_at(hw)
        except DetectorError as exc:
            log.info("%s keeps its %dx%d input for %dx%d frames: %s", self.path.name, self.input_hw[1],
                     self.input_hw[0], width, height, exc)
            return self

    def describe(self) -> str:
        return (f"{self.path.name}: layout {self.layout.name}, input {self.input_hw[1]}x{self.input_hw[0]}, "
                f"{len(self.names)} classes, batch {self.batch_size or 'dynamic'}, {self.providers[0]}"
                + (", each image also mirrored" if self.mirrored else ""))
