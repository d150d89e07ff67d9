"""Pipeline telemetry onto the bus: per-stage latency of every frame (batched) and each camera's health.

A LatencyRecorder that, besides its percentiles and Prometheus metrics, hands a LatencyBatch and a CameraStatus
per camera to the event publisher every `every_s` seconds. It runs on the pipeline's emit thread; publishing
happens on the publisher's event loop, so the pipeline never waits for the network.
"""
from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Sequence

from .bus.publisher import EventPublisher
from .events import CameraStatus, EventBody, FrameLatency, LatencyBatch
from .frame import Frame
from .metrics import LatencyRecorder

MAX_FRAMES_PER_BATCH = 1000  # the LatencyBatch schema's limit


class TelemetryRecorder(LatencyRecorder):
    def __init__(self, publisher: EventPublisher, loop: asyncio.AbstractEventLoop, app: str,
                 sources: Sequence = (), every_s: float = 5.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.publisher, self.loop, self.app, self.every_s = publisher, loop, app, every_s
        self._sources = {s.source_id: s for s in sources}
        self._pending: dict[str, list[FrameLatency]] = defaultdict(list)
        self._frames: dict[str, int] = defaultdict(int)
        self._period_frames: dict[str, int] = defaultdict(int)
        self._last_flush = time.monotonic()
        self._futures: list[Future] = []

    def record(self, frame: Frame) -> dict[str, float]:
        latencies = super().record(frame)
        self._pending[frame.source_id].append(FrameLatency(
            frame_seq=frame.seq, stages_ms={k: round(max(v, 0.0) * 1000.0, 3) for k, v in latencies.items()}))
        self._frames[frame.source_id] += 1
        self._period_frames[frame.source_id] += 1
        now = time.monotonic()
        if now - self._last_flush >= self.every_s or len(self._pending[frame.source_id]) >= MAX_FRAMES_PER_BATCH:
            self.flush(now)
        return latencies

    def flush(self, now: float | None = None) -> None:
        """Send what is pending (also called once at the end of a run)."""
        now = time.monotonic() if now is None else now
        elapsed = max(now - self._last_flush, 1e-6)
        for source_id, frames in self._pending.items():
            if frames:
                self._send(LatencyBatch(frames=frames), source_id)
        for source_id in set(self._frames) | set(self._sources):
            self._send(self._status(source_id, self._period_frames[source_id] / elapsed), source_id)
        self._pending.clear()
        self._period_frames.clear()
        self._last_flush = now
        self._futures = [f for f in self._futures if not f.done()]

    def _status(self, source_id: str, fps: float) -> CameraStatus:
        source = self._sources.get(source_id)
        health = source.health() if source is not None and hasattr(source, "health") else None
        return CameraStatus(
            state=health.state.value if health else "connected", fps=round(fps, 2), frames=self._frames[source_id],
            frames_dropped=health.frames_dropped if health else 0, reconnects=health.reconnects if health else 0,
            last_error=((health.last_error or "")[:300] or None) if health else None)

    def _send(self, body: EventBody, source_id: str) -> None:
        capture = datetime.now(UTC)
        self._futures.append(asyncio.run_coroutine_threadsafe(
            self.publisher.publish(body, app=self.app, source=source_id, capture_time=capture), self.loop))

    async def wait_sent(self) -> None:
        """Await every hand-over to the outbox (call from the publisher's loop after the run)."""
        await asyncio.gather(*(asyncio.wrap_future(f) for f in self._futures))
        self._futures.clear()
