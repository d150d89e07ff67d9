"""`edgesight dashboard` options: where the store URL comes from, and what it refuses before starting Streamlit."""
from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from edgesight.dashboards.cli import dashboard, store_url


def test_store_url_from_db_then_config_then_default(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("store:\n  url: postgresql+psycopg://edge@db/edgesight\n")
    assert store_url(None, None) == "sqlite:///edgesight.sqlite"
    assert store_url(config, None) == "postgresql+psycopg://edge@db/edgesight"
    assert store_url(config, "sqlite:///other.sqlite") == "sqlite:///other.sqlite"


@pytest.mark.parametrize(("config_text", "message"), [
    ("store: [1, 2", "cannot read it as YAML"),
    ("store:\n  url: mysql://db/x\n", "store.url"),
])
def test_store_url_names_the_problem(tmp_path: Path, config_text: str, message: str) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(config_text)
    with pytest.raises(typer.BadParameter, match=message):
        store_url(config, None)


def test_refuses_a_refresh_interval_the_sidebar_does_not_offer() -> None:
    app = typer.Typer()
    app.command()(dashboard)
    result = CliRunner().invoke(app, ["--db", "sqlite:///x.sqlite", "--refresh-s", "7"])
    assert result.exit_code == 2 and "--refresh-s 7" in result.output
