"""Runs a detector's ONNX graph through PyTorch on a CUDA GPU, for boxes whose onnxruntime has no GPU provider.

onnxruntime-gpu is several hundred MB and tied to one CUDA version; a GPU box that already has torch can run the
same ONNX file after onnx2torch rebuilds it as a torch module. The engine takes the letterboxed uint8 canvases
(N, H, W, 3) BGR and does colour order, scaling and layout on the GPU, so the CPU copies a quarter of the bytes and
does no float work; outputs come back as FP32 numpy, so decoding and NMS are the same for both engines.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .layouts import InputConvention


class TorchEngine:
    """`run(pixels) -> output`, the model's output for a uint8 (N, H, W, 3) batch, on `device` (default: the first
    GPU)."""

    def __init__(self, model: str | Path, convention: InputConvention, device: str = "cuda",
                 half: bool = True) -> None:
        import torch
        from onnx2torch import convert

        if device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError("device 'torch' needs a CUDA GPU that torch can see")
        self.torch = torch
        self.device = torch.device(device)
        self.dtype = torch.float16 if half else torch.float32
        self.convention = convention
        self.module = convert(str(model)).eval().to(self.device, self.dtype)
        self.name = f"torch {torch.__version__} on {torch.cuda.get_device_name(self.device) if self.device.type == 'cuda' else device}"

    def run(self, pixels: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            x = self.torch.from_numpy(pixels).to(self.device).permute(0, 3, 1, 2)
            if self.convention.rgb:
                x = x.flip(1)
            x = x.to(self.dtype).mul_(self.convention.scale).contiguous()
            return self.module(x).float().cpu().numpy()
