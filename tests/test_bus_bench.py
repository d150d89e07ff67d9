"""`edgesight bench bus --json` runs both variants, taking turns, on a private Mosquitto and prints one JSON object."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from edgesight.core.bus.cli import bench_app


def test_bench_bus_json_figures() -> None:
    args = ["bus", "--events", "500", "--rate", "500", "--seconds", "1", "--rounds", "2", "--json"]
    result = CliRunner().invoke(bench_app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    for variant in ("plain", "outbox"):
        assert figures[variant]["events_per_s"] > 0
        assert 0 < figures[variant]["p50_ms"] <= figures[variant]["p99_ms"]
    assert figures["events"] == 500 and figures["rounds"] == 2 and figures["throughput_ratio"] > 0
    assert isinstance(figures["targets_met"], bool)
