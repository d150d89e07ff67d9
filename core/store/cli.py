"""`edgesight ingest`: subscribe to a site's events and write them all to the store (register `ingest` as
a command of the main app)."""
from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import typer
import yaml
from pydantic import ValidationError

from ..bus.config import BusConfig
from ..bus.connection import BrokerRefused
from .config import StoreConfig
from .ingest import run_ingest


def _load(config_file: Path | None) -> dict:
    if config_file is None:
        return {}
    try:
        loaded = yaml.safe_load(config_file.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise typer.BadParameter(f"{config_file}: cannot read it as YAML ({exc})") from None
    if not isinstance(loaded, dict):
        raise typer.BadParameter(f"{config_file}: expected a mapping with `bus:` and `store:` sections")
    return loaded


def ingest(
    config_file: Path = typer.Option(None, "--config", help="Site config YAML; its `bus:` and `store:` sections are used"),
    site: str = typer.Option(None, help="Site id (overrides bus.site_id)"),
    broker: str = typer.Option(None, help="mqtt://host:port (overrides bus.broker_url; none: the main job's embedded broker)"),
    db: str = typer.Option(None, help="Database URL (overrides store.url), e.g. postgresql+psycopg://user@host/edgesight"),
    name: str = typer.Option("ingest", help="Worker name: MQTT client id and dead-letter topic suffix"),
    group: str = typer.Option(None, help="Shared-subscription group, to split the stream over several workers"),
    state: Path = typer.Option(None, help="Dedup/gap state file (default: <name>-state.sqlite)"),
    password: str = typer.Option(None, envvar="EDGESIGHT_BUS_PASSWORD", help="Broker password (better from the env var)"),
) -> None:
    """Subscribe to every event of the site and store each one once (replays and redeliveries included)."""
    loaded = _load(config_file)
    bus_settings = {"node_id": name, **loaded.get("bus", {})}
    for key, value in (("site_id", site), ("broker_url", broker), ("password", password)):
        if value is not None:
            bus_settings[key] = value
    store_settings = dict(loaded.get("store", {}))
    if db is not None:
        store_settings["url"] = db
    try:
        bus_config = BusConfig.model_validate(bus_settings)
        store_config = StoreConfig.model_validate(store_settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise typer.BadParameter(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # Without a broker URL this connects to the embedded broker that the main job runs on the same box.
        report = await run_ingest(bus_config, store_config, name=name, group=group,
                                  state_path=state or Path(f"{name}-state.sqlite"), stop=stop)
        typer.echo(f"ingest {name} stopped: {report}")

    try:
        asyncio.run(main())
    except (BrokerRefused, RuntimeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
