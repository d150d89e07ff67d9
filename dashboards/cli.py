"""`edgesight dashboard`: the operator dashboard on the event store (register `dashboard` as a command of the main
app). It runs `streamlit run` on dashboards/app.py and hands it the store URL and settings in environment
variables (see dashboard_config)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
import yaml
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from edgesight.core.store.config import StoreConfig

from .dashboard_config import DashboardConfig
from .sidebar import REFRESH_CHOICES

APP_SCRIPT = Path(__file__).parent / "app.py"


def store_url(config_file: Path | None, db: str | None) -> str:
    """The database URL: --db, else the config file's `store:` section, else the default SQLite file."""
    settings = {}
    if config_file is not None:
        try:
            loaded = yaml.safe_load(config_file.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise typer.BadParameter(f"{config_file}: cannot read it as YAML ({exc})") from None
        if not isinstance(loaded, dict):
            raise typer.BadParameter(f"{config_file}: expected a mapping with a `store:` section")
        settings = dict(loaded.get("store") or {})
    if db is not None:
        settings["url"] = db
    try:
        return StoreConfig.model_validate(settings).database_url
    except ValidationError as exc:
        first = exc.errors()[0]
        raise typer.BadParameter(f"store.{'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def streamlit_command(port: int, address: str) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT), "--server.port", str(port),
            "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "minimal"]


def dashboard(
    db: str = typer.Option(None, "--db", help="Database URL (overrides store.url), e.g. "
                           "postgresql+psycopg://user@host/edgesight or sqlite:///edgesight.sqlite"),
    config_file: Path = typer.Option(None, "--config", help="Site config YAML; its `store:` section is used"),
    port: int = typer.Option(8501, help="HTTP port"),
    address: str = typer.Option("0.0.0.0", help="Address to listen on (127.0.0.1: this machine only)"),
    latency_budget_ms: float = typer.Option(100.0, help="End-to-end latency budget drawn on the Latency page"),
    sim_results: Path = typer.Option(None, help="Folder of `edgesight traffic evaluate --json` tables "
                                     "(controller delay on the Traffic page)"),
    refresh_s: int = typer.Option(10, help=f"Default auto-refresh interval, one of {sorted(REFRESH_CHOICES)} "
                                  "(0: off); the operator can change it"),
) -> None:
    """Start the operator dashboard (Streamlit) on the event store; it only reads."""
    if refresh_s not in REFRESH_CHOICES:
        raise typer.BadParameter(f"--refresh-s {refresh_s}: choose one of {sorted(REFRESH_CHOICES)}")
    if latency_budget_ms <= 0:
        raise typer.BadParameter("--latency-budget-ms must be positive")
    url = store_url(config_file, db)
    config = DashboardConfig(store_url=url, latency_budget_ms=latency_budget_ms, sim_results=sim_results,
                             refresh_s=refresh_s)
    shown_url = make_url(url).render_as_string(hide_password=True)
    typer.echo(f"dashboard on http://{address}:{port} reading {shown_url}", err=True)
    # Streamlit becomes this process, so Ctrl-C and a service manager's SIGTERM reach it directly.
    command = streamlit_command(port, address)
    os.execve(command[0], command, {**os.environ, **config.to_env()})


if __name__ == "__main__":
    typer.run(dashboard)
