"""Runs a detector's ONNX graph through PyTorch on a CUDA GPU, for boxes whose onnxruntime has no GPU provider.

onnxruntime-gpu is several hundred MB and tied to one CUDA version; a GPU box that already has torch can run the
same ONNX file after onnx2torch rebuilds it as a torch module. Inputs go to the GPU as FP16 and outputs come back
as FP32 numpy, so the rest of the detector (decode, NMS) is the same for both engines.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


class TorchEngine:
    """`run(blob) -> output`, like `session.run(None, {input: blob})[0]`, on `device` (default: the first GPU)."""

    def __init__(self, model: str | Path, device: str = "cuda", half: bool = True) -> None:
        import torch
        from onnx2torch import convert

        if device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError("device 'torch' needs a CUDA GPU that torch can see")
        self.torch = torch
        self.device = torch.device(device)
        self.dtype = torch.float16 if half else torch.float32
        self.module = convert(str(model)).eval().to(self.device, self.dtype)
        self.name = f"torch {torch.__version__} on {torch.cuda.get_device_name(self.device) if self.device.type == 'cuda' else device}"

    def run(self, blob: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            x = self.torch.from_numpy(blob).to(self.device, non_blocking=True).to(self.dtype)
            return self.module(x).float().cpu().numpy()
