"""End-to-end evaluation on the simulated line: simulator -> camera -> detection -> part tracking and verdicts ->
MQTT (QoS 1, durable outbox) -> reject controller -> the simulator's diverter, then scoring against ground truth.

Scored parts are those that crossed the whole camera view during the run. An escape is a defective scored part
the diverter did not push off; a false reject is a good one it did. Rates are over defective and over good parts.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from edgesight.core.bus.config import BusConfig, OutboxConfig
from edgesight.core.bus.mosquitto import MosquittoProcess

from .config import InspectionConfig
from .line_run import LineRun, line_detector, run_simulated_line
from .reject_scheduler import Outcome
from .sim.conveyor import MAX_PART_EXTENT_MM, LineSpec

log = logging.getLogger(__name__)


@dataclass
class EvaluationReport:
    rate_hz: float
    belt_speed_mps: float
    seconds: float
    fps: float
    parts_seen: int  # parts that crossed the whole view (scored)
    defective: int
    verdicts: int  # verdicts the controller received
    escapes: int
    false_rejects: int
    escape_rate: float  # escapes / defective parts
    false_reject_rate: float  # false rejects / good parts
    deadline_misses: int
    duplicates: int
    latency_p50_ms: float  # capture of the judged frame -> actuation command committed at the controller
    latency_p99_ms: float
    bus_latency_p50_ms: float  # of which: verdict published -> received by the controller
    bus_latency_p99_ms: float
    min_slack_ms: float  # closest any scheduled reject came to its deadline
    fire_lateness_p99_ms: float  # event-loop lateness of the command against its planned moment
    diverter_route: str  # "direct": the controller calls the paddle; "mqtt": commands over the broker to the line
    command_slack_min_ms: float | None  # mqtt route: closest a command arrived to its due time (None: direct)
    commands_late: int  # mqtt route: commands that arrived after their due time (not struck)
    frames: int
    frames_dropped: int
    pipeline_fps: float
    stage_latency_ms: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000.0, 1) if values else float("nan")


class LineEvaluation:
    def __init__(self, config: InspectionConfig, line: LineSpec, model: Path, *, seconds: float, fps: float = 15.0,
                 seed: int = 0, broker_url: str | None = None, workdir: Path | None = None, threads: int = 0,
                 diverter_route: Literal["direct", "mqtt"] = "direct") -> None:
        if abs(line.belt_speed_mps - config.belt.speed_mps) > 1e-9 or abs(line.diverter_mm - config.belt.diverter_mm) > 1e-9:
            raise ValueError(f"line spec (belt {line.belt_speed_mps} m/s, diverter {line.diverter_mm} mm) and inspection "
                             f"config (belt {config.belt.speed_mps} m/s, diverter {config.belt.diverter_mm} mm) disagree")
        self.config, self.line, self.model = config, line, model
        self.seconds, self.fps, self.seed = seconds, fps, seed
        self.broker_url, self.workdir, self.threads = broker_url, workdir, threads
        self.diverter_route = diverter_route

    def run(self) -> EvaluationReport:
        with contextlib.ExitStack() as stack:
            workdir = self.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="edgesight-eval-")))
            url = self.broker_url
            if url is None:
                broker = stack.enter_context(MosquittoProcess(workdir / "mosquitto"))
                url = broker.url
            return asyncio.run(self._run(workdir, url))

    def _bus(self, workdir: Path, url: str, node: str) -> BusConfig:
        return BusConfig(site_id="sim", node_id=node, broker_url=url, heartbeat_s=5.0,
                         outbox=OutboxConfig(path=workdir / f"{node}-outbox.sqlite"))

    async def _run(self, workdir: Path, url: str) -> EvaluationReport:
        detector = line_detector(self.config, self.model, self.threads)
        run = await run_simulated_line(self.config, self.line, detector, lambda node: self._bus(workdir, url, node),
                                       workdir, fps=self.fps, seed=self.seed, seconds=self.seconds,
                                       diverter_route=self.diverter_route)
        return self._score(run)

    def _score(self, run: LineRun) -> EvaluationReport:
        cfg = self.config
        simulator, diverter, service, stats, latency = run.simulator, run.diverter, run.service, run.stats, run.latency
        listener = run.listener
        reach = cfg.camera.width / 2 / cfg.camera.px_per_mm + MAX_PART_EXTENT_MM / 2
        # Entered the view after the start and left it before the end.
        scored = [p for p in simulator.parts_passed(reach, 0.0, self.seconds) if p.time_at(-reach) >= 0.0]
        diverted = diverter.diverted()
        bad = [p for p in scored if p.spec.defective]
        good = [p for p in scored if not p.spec.defective]
        escapes = sum(p.spec.part_id not in diverted for p in bad)
        false_rejects = sum(p.spec.part_id in diverted for p in good)
        controller = service.controller
        decided = [v for values in controller.decision_latency_s.values() for v in values]
        slacks = controller.slack_s
        counts = controller.scheduler.counts
        return EvaluationReport(
            rate_hz=self.line.rate_hz, belt_speed_mps=self.line.belt_speed_mps, seconds=self.seconds, fps=self.fps,
            parts_seen=len(scored), defective=len(bad), verdicts=service.verdicts, escapes=escapes,
            false_rejects=false_rejects, escape_rate=round(escapes / len(bad), 4) if bad else 0.0,
            false_reject_rate=round(false_rejects / len(good), 4) if good else 0.0,
            deadline_misses=counts[Outcome.DEADLINE_MISS], duplicates=counts[Outcome.DUPLICATE],
            latency_p50_ms=_percentile(decided, 50), latency_p99_ms=_percentile(decided, 99),
            bus_latency_p50_ms=_percentile(service.bus_latency_s, 50),
            bus_latency_p99_ms=_percentile(service.bus_latency_s, 99),
            min_slack_ms=round(min(slacks) * 1000, 1) if slacks else float("nan"),
            fire_lateness_p99_ms=_percentile(controller.fire_lateness_s, 99), diverter_route=self.diverter_route,
            command_slack_min_ms=round(min(listener.arrival_slack_s) * 1000, 1)
            if listener is not None and listener.arrival_slack_s else None,
            commands_late=len(listener.late) if listener is not None else 0,
            frames=sum(stats.frames.values()), frames_dropped=sum(stats.dropped.values()),
            pipeline_fps=round(stats.fps, 2),
            stage_latency_ms=latency.summary().get(cfg.line_id, {}))
