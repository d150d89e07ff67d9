"""The comparison table: each controller's metrics as mean and standard deviation over seeds."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from edgesight.apps.traffic.evaluate.metrics import RunMetrics

# (RunMetrics field, column heading, number format) in table order.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("mean_time_loss_s", "delay s", ".1f"),
    ("mean_waiting_s", "waiting s", ".1f"),
    ("throughput_veh_h", "throughput veh/h", ".0f"),
    ("max_queue_m", "max queue m", ".0f"),
)


@dataclass(frozen=True)
class ControllerResult:
    """One controller on one scenario: metrics per seed, and for closed-loop runs the decision latency
    percentiles (frame capture to signal decision), in milliseconds."""

    controller: str
    runs: dict[int, RunMetrics]
    latency_ms: dict[str, float] = field(default_factory=dict)

    def mean(self, metric: str) -> float:
        return statistics.fmean(getattr(r, metric) for r in self.runs.values())

    def std(self, metric: str) -> float:
        values = [getattr(r, metric) for r in self.runs.values()]
        return statistics.stdev(values) if len(values) > 1 else 0.0


@dataclass(frozen=True)
class EvaluationTable:
    scenario: str
    seeds: tuple[int, ...]
    results: tuple[ControllerResult, ...]

    def as_json(self) -> dict:
        return {
            "scenario": self.scenario,
            "seeds": list(self.seeds),
            "controllers": [
                {
                    "controller": r.controller,
                    **{metric: {"mean": r.mean(metric), "std": r.std(metric)} for metric, _, _ in COLUMNS},
                    "per_seed": {str(seed): m.as_dict() for seed, m in r.runs.items()},
                    "latency_ms": r.latency_ms,
                }
                for r in self.results
            ],
        }

    def as_text(self) -> str:
        headings = ["controller", *(heading for _, heading, _ in COLUMNS)]
        rows = [
            [r.controller, *(f"{r.mean(m):{fmt}} ±{r.std(m):{fmt}}" for m, _, fmt in COLUMNS)] for r in self.results
        ]
        latency = [r for r in self.results if r.latency_ms]
        if latency:
            headings.append("latency p50/p95/p99 ms")
            for row, r in zip(rows, self.results):
                ms = r.latency_ms
                row.append(f"{ms['p50']:.0f}/{ms['p95']:.0f}/{ms['p99']:.0f}" if ms else "-")
        widths = [max(len(str(cell)) for cell in column) for column in zip(headings, *rows)]
        lines = [
            f"scenario {self.scenario}, seeds {', '.join(map(str, self.seeds))} (mean ±std over seeds)",
            "  ".join(h.ljust(w) for h, w in zip(headings, widths)),
            "  ".join("-" * w for w in widths),
        ]
        lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
        return "\n".join(lines)
