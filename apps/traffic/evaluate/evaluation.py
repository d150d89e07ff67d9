"""Runs the comparison: SUMO's own programs and, when given, an EdgeSight controller (with the cameras in the
loop, and on SUMO's exact counts if asked), on the same scenario and seeds, in parallel worker processes."""
from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from edgesight.apps.traffic.evaluate.camera_loop import CameraLoopSettings, run_camera_closed_loop

from edgesight.apps.traffic.evaluate.closed_loop import run_exact_closed_loop
from edgesight.apps.traffic.evaluate.sumo_program import run_sumo_program
from edgesight.apps.traffic.evaluate.table import ControllerResult, EvaluationTable
from edgesight.apps.traffic.sim.scenario import Scenario
from edgesight.core.termination import worker_processes

SEEDS: tuple[int, ...] = (42, 43, 44, 45, 46)
LATENCY_PERCENTILES = (50, 95, 99)
# Table row name -> SUMO programID.
SUMO_REFERENCES: dict[str, str] = {
    "SUMO fixed-time": "static",
    "SUMO actuated": "actuated",
    "SUMO delay_based": "delay_based",
}


def evaluate_sumo_programs(scenario: Scenario, seeds: Sequence[int] = SEEDS, workers: int = 2) -> list[ControllerResult]:
    """Each of SUMO's programs the scenario has, over `seeds`; every run is its own sumo process, so threads
    are enough to keep `workers` of them busy."""
    rows = {name: program for name, program in SUMO_REFERENCES.items() if program in scenario.programs}
    jobs = [(name, seed) for name in rows for seed in seeds]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        metrics = list(pool.map(lambda job: run_sumo_program(scenario, rows[job[0]], job[1]), jobs))
    runs: dict[str, dict] = {name: {} for name in rows}
    for (name, seed), result in zip(jobs, metrics):
        runs[name][seed] = result
    return [ControllerResult(controller=name, runs=runs[name]) for name in rows]


def evaluate_controller(scenario: Scenario, algorithm: str, seeds: Sequence[int] = SEEDS,
                        workers: int = 2) -> ControllerResult:
    """An EdgeSight algorithm in the loop over `seeds`; libsumo allows one simulation per process, so each
    seed runs in a worker process."""
    with worker_processes(workers) as pool:
        metrics = list(pool.map(run_exact_closed_loop, [scenario] * len(seeds), [algorithm] * len(seeds), seeds))
    return ControllerResult(controller=f"{algorithm} (exact counts)", runs=dict(zip(seeds, metrics)))


def evaluate_camera_controller(scenario: Scenario, algorithm: str, settings: CameraLoopSettings,
                               seeds: Sequence[int] = SEEDS, workers: int = 1) -> ControllerResult:
    """An EdgeSight algorithm fed by the cameras over `seeds`, each run in a worker process (libsumo allows one
    simulation per process). Latency percentiles pool every camera frame of every seed."""
    with worker_processes(workers) as pool:
        results = list(pool.map(run_camera_closed_loop, [scenario] * len(seeds), [algorithm] * len(seeds), seeds,
                                [settings] * len(seeds)))
    latency = np.array([s for r in results for s in r.latency_s]) * 1000.0
    percentiles = {f"p{q}": float(np.percentile(latency, q)) for q in LATENCY_PERCENTILES} if latency.size else {}
    return ControllerResult(controller=f"{algorithm} (cameras)", runs={seed: r.metrics for seed, r in zip(seeds, results)},
                            latency_ms=percentiles)


def evaluate(scenario: Scenario, algorithm: str | None = None, seeds: Sequence[int] = SEEDS, workers: int = 2,
             cameras: CameraLoopSettings | None = None, exact: bool = False) -> EvaluationTable:
    """The table for `scenario`: `algorithm` (if given) with the cameras in the loop (with `cameras`) and on
    exact counts (with `exact`), beside SUMO's own programs."""
    results = []
    if algorithm is not None and cameras is not None:
        results.append(evaluate_camera_controller(scenario, algorithm, cameras, seeds, workers))
    if algorithm is not None and exact:
        results.append(evaluate_controller(scenario, algorithm, seeds, workers))
    results += evaluate_sumo_programs(scenario, seeds, workers)
    return EvaluationTable(scenario=scenario.name, seeds=tuple(seeds), results=tuple(results))
