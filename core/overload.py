"""Holding a p99 latency budget when live cameras deliver faster than the box can infer.

Live slots already keep only the newest frame (stale ones are dropped and counted). What is left to bound is
the time a frame waits for the model plus the model call itself; the governor shortens both by doing less per
call: first fewer frames per model call (a camera's newest frame waits for a shorter call, while the others'
slots keep dropping stale frames), then a smaller model input where the pipeline has one (a copy of the model
at 320x320 does a quarter of 640x640's work; small, far objects are the first to go), then inferring only every
k-th frame of each live camera (frames skipped before preprocessing, so their decode is the only work spent on
them). It tightens as soon as a window's p99 is certain to be over the budget (enough of its frames are over
already), not when the window is full: at a few frames/s a 30-frame window takes 10 s, and waiting for it let
the p99 run past the budget before the first step. Frames captured before a step waited under the old setting,
so they are not held against the new one. It starts at one frame per call and relaxes step by step, in
reverse order, once the p99 has been well under the budget for several windows in a row: relaxing after one
calm window made it swing between two settings, the lighter one calm and the heavier one over budget. Every
step is recorded with the p99 that caused it.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class OverloadStep:
    at_s: float  # seconds since the pipeline started
    p99_ms: float  # end-to-end p99 of the window that triggered the step
    batch: int  # frames per model call from then on
    stride: int  # infer every stride-th frame of each live camera from then on
    reason: str
    input_side: int | None = None  # model input side from then on; None: the pipeline has only the model's own


class LatencyGovernor:
    """`observe(latency_s, now)` per emitted live frame; the pipeline reads `batch`, `input_index` (into the
    `input_sides` it offered: the model's own first, then smaller ones) and `stride`."""

    def __init__(self, budget_s: float, batch_size: int, *, input_sides: Sequence[int] = (), window: int = 30,
                 relax_below: float = 0.5, relax_windows: int = 3, max_stride: int = 8) -> None:
        if budget_s <= 0:
            raise ValueError(f"latency budget must be > 0 s, got {budget_s}")
        self.budget_s = budget_s
        self.max_batch, self.max_stride = batch_size, max_stride
        self.input_sides = list(input_sides)
        # It starts at one frame per call and takes on larger calls only as calm windows show room for them: a
        # first call of the full batch on a slow box alone can take longer than the budget.
        self.batch, self.stride, self.input_index = 1, 1, 0
        self.relax_below, self.relax_windows = relax_below, relax_windows
        self._calm_windows = 0  # full windows in a row with the p99 under relax_below * budget
        self.steps: list[OverloadStep] = []
        self._window: deque[float] = deque(maxlen=window)
        # Over-budget frames that put a full window's p99 (linear interpolation) over the budget whatever the
        # rest of the window holds: 2 for a window of 30.
        self._decisive_over = window - int(0.99 * (window - 1))
        self._lock = threading.Lock()
        self._started: float | None = None
        self._stepped_at = float("-inf")

    def observe(self, latency_s: float, now: float) -> None:
        with self._lock:
            if self._started is None:
                self._started = now
            if now - latency_s < self._stepped_at:
                return  # captured before the last step: it says nothing about the new setting
            self._window.append(latency_s)
            over = sum(1 for latency in self._window if latency > self.budget_s)
            if len(self._window) < self._window.maxlen and over < self._decisive_over:
                return
            p99 = float(np.percentile(self._window, 99))
            if p99 > self.budget_s:
                self._calm_windows = 0
                self._tighten(p99, now)
            elif p99 < self.relax_below * self.budget_s:
                self._calm_windows += 1
                self._window.clear()  # the next calm window is made of new frames
                if self._calm_windows >= self.relax_windows:
                    self._calm_windows = 0
                    self._relax(p99, now)
            else:  # within the budget but not well under it: the calm run is broken
                self._calm_windows = 0

    def _tighten(self, p99: float, now: float) -> None:
        if self.batch > 1:
            self._step(p99, now, "p99 over budget: fewer frames per call", batch=max(1, self.batch // 2))
        elif self.input_index + 1 < len(self.input_sides):
            self._step(p99, now, "p99 over budget: smaller model input", input_index=self.input_index + 1)
        elif self.stride < self.max_stride:
            self._step(p99, now, "p99 over budget: skip frames of live cameras", stride=self.stride * 2)

    def _relax(self, p99: float, now: float) -> None:
        if self.stride > 1:
            self._step(p99, now, "p99 well under budget: skip fewer frames", stride=self.stride // 2)
        elif self.input_index > 0:
            self._step(p99, now, "p99 well under budget: larger model input", input_index=self.input_index - 1)
        elif self.batch < self.max_batch:
            self._step(p99, now, "p99 well under budget: more frames per call",
                       batch=min(self.max_batch, self.batch * 2))

    def _step(self, p99: float, now: float, reason: str, **change: int) -> None:
        self.batch = change.get("batch", self.batch)
        self.stride = change.get("stride", self.stride)
        self.input_index = change.get("input_index", self.input_index)
        side = self.input_sides[self.input_index] if self.input_sides else None
        self.steps.append(OverloadStep(round(now - self._started, 3), round(p99 * 1000, 1), self.batch, self.stride,
                                       reason, side))
        self._window.clear()  # judge the new setting on its own frames
        self._stepped_at = now
