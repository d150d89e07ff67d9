"""Per-stage latency: read off the stamps a frame collected on its way, kept as percentiles and Prometheus metrics.

Nothing upstream calls this; the pipeline hands each emitted frame here once. Percentiles come from a bounded
window of recent samples per (camera, stage), so memory stays flat on a box that runs for months.
"""
from __future__ import annotations

import threading
from collections import defaultdict, deque

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from .frame import STAGES, Frame

PERCENTILES = (50, 90, 95, 99)
# Stage latency = stamp[stage] - stamp[the stage before it]; "end_to_end" = emitted - capture.
STAGE_PAIRS = tuple(zip(STAGES[:-1], STAGES[1:]))
STAGE_NAMES = {"decoded": "decode", "dequeued": "queue", "infer_start": "preprocess", "infer_end": "infer",
               "tracked": "track", "emitted": "emit"}
BUCKETS_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0)


class LatencyRecorder:
    """`record(frame)` once per emitted frame; `summary()` -> {camera: {stage: {p50, p90, p95, p99, n}}}."""

    def __init__(self, window: int = 20_000, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._samples: dict[tuple[str, str], deque[float]] = defaultdict(lambda: deque(maxlen=window))
        self._lock = threading.Lock()
        self._histogram = Histogram("edgesight_stage_latency_seconds", "Latency of one pipeline stage per frame",
                                    ["camera", "stage"], buckets=BUCKETS_S, registry=self.registry)
        self.frames = Counter("edgesight_frames_total", "Frames through the pipeline", ["camera"],
                              registry=self.registry)
        self.dropped = Gauge("edgesight_frames_dropped", "Frames a live source dropped as stale", ["camera"],
                             registry=self.registry)

    def stage_latencies(self, frame: Frame) -> dict[str, float]:
        s = frame.stamps
        out = {STAGE_NAMES[b]: s[b] - s[a] for a, b in STAGE_PAIRS if a in s and b in s}
        if "capture" in s and "emitted" in s:
            out["end_to_end"] = s["emitted"] - s["capture"]
        return out

    def record(self, frame: Frame) -> dict[str, float]:
        latencies = self.stage_latencies(frame)
        with self._lock:
            for stage, value in latencies.items():
                self._samples[(frame.source_id, stage)].append(value)
        for stage, value in latencies.items():
            self._histogram.labels(frame.source_id, stage).observe(value)
        self.frames.labels(frame.source_id).inc()
        return latencies

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        with self._lock:
            items = {key: np.fromiter(values, float) for key, values in self._samples.items() if values}
        out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
        for (camera, stage), values in sorted(items.items()):
            pct = np.percentile(values, PERCENTILES) * 1000.0
            out[camera][stage] = {f"p{p}": round(float(v), 2) for p, v in zip(PERCENTILES, pct)}
            out[camera][stage]["n"] = int(values.size)
        return dict(out)

    def serve(self, port: int, addr: str = "0.0.0.0") -> None:
        """Expose /metrics for Prometheus on `port` (a daemon thread of prometheus_client)."""
        start_http_server(port, addr=addr, registry=self.registry)


def format_summary(summary: dict[str, dict[str, dict[str, float]]]) -> str:
    """A fixed-width table, milliseconds, for the end of a CLI run."""
    width = max([len("camera")] + [len(c) for c in summary]) + 2
    lines = [f"{'camera':<{width}}{'stage':<12}" + "".join(f"{f'p{p} ms':>10}" for p in PERCENTILES) + f"{'frames':>9}"]
    order = [STAGE_NAMES[b] for _, b in STAGE_PAIRS] + ["end_to_end"]
    for camera, stages in summary.items():
        for stage in sorted(stages, key=lambda s: order.index(s) if s in order else len(order)):
            row = stages[stage]
            lines.append(f"{camera:<{width}}{stage:<12}" + "".join(f"{row[f'p{p}']:>10.2f}" for p in PERCENTILES)
                         + f"{row['n']:>9}")
    return "\n".join(lines)
