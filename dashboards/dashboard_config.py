"""What the dashboard process is told at start: `edgesight dashboard` puts it in environment variables, because
`streamlit run` starts the app script in a fresh interpreter and the variables are what reaches it."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STORE_URL_ENV = "EDGESIGHT_DASHBOARD_STORE_URL"
LATENCY_BUDGET_ENV = "EDGESIGHT_DASHBOARD_LATENCY_BUDGET_MS"
SIM_RESULTS_ENV = "EDGESIGHT_DASHBOARD_SIM_RESULTS"
REFRESH_ENV = "EDGESIGHT_DASHBOARD_REFRESH_S"

DEFAULT_LATENCY_BUDGET_MS = 100.0  # capture to event, per frame: what the signal and reject controllers plan with
DEFAULT_REFRESH_S = 10


@dataclass(frozen=True)
class DashboardConfig:
    store_url: str
    latency_budget_ms: float = DEFAULT_LATENCY_BUDGET_MS
    sim_results: Path | None = None  # folder of `edgesight traffic evaluate --json` tables
    refresh_s: int = DEFAULT_REFRESH_S

    def to_env(self) -> dict[str, str]:
        env = {STORE_URL_ENV: self.store_url, LATENCY_BUDGET_ENV: str(self.latency_budget_ms),
               REFRESH_ENV: str(self.refresh_s)}
        if self.sim_results is not None:
            env[SIM_RESULTS_ENV] = str(self.sim_results)
        return env

    @classmethod
    def from_env(cls) -> DashboardConfig:
        url = os.environ.get(STORE_URL_ENV)
        if not url:
            raise RuntimeError(f"{STORE_URL_ENV} is not set: start the dashboard with `edgesight dashboard --db URL`")
        sim_results = os.environ.get(SIM_RESULTS_ENV)
        return cls(
            store_url=url,
            latency_budget_ms=float(os.environ.get(LATENCY_BUDGET_ENV, DEFAULT_LATENCY_BUDGET_MS)),
            sim_results=Path(sim_results) if sim_results else None,
            refresh_s=int(os.environ.get(REFRESH_ENV, DEFAULT_REFRESH_S)),
        )
