"""The plain-SUMO reference evaluation and the `evaluate` command on the short surge scenario."""
import json

from typer.testing import CliRunner

from edgesight.apps.traffic.cli import app
from edgesight.apps.traffic.evaluate.evaluation import evaluate
from edgesight.apps.traffic.sim.scenario import Scenario


def test_sumo_programs_are_scored_per_seed(surge_scenario: Scenario) -> None:
    table = evaluate(surge_scenario, seeds=(42, 43))
    rows = {r.controller: r for r in table.results}
    assert list(rows) == ["SUMO fixed-time", "SUMO actuated", "SUMO delay_based"]
    for row in rows.values():
        assert sorted(row.runs) == [42, 43]
        for metrics in row.runs.values():
            assert 380 < metrics.vehicles < 560
            assert 0 < metrics.mean_waiting_s < metrics.mean_time_loss_s < 60
            assert 0 < metrics.max_queue_m < 250
            assert 1000 < metrics.throughput_veh_h < 2200
    # Any adaptive program beats the fixed 90 s plan on this demand.
    assert rows["SUMO actuated"].mean("mean_time_loss_s") < rows["SUMO fixed-time"].mean("mean_time_loss_s")


def test_evaluate_command_prints_a_table_and_json() -> None:
    runner = CliRunner()
    text = runner.invoke(app, ["evaluate", "--scenario", "surge", "--seeds", "1"])
    assert text.exit_code == 0, text.output
    assert "SUMO delay_based" in text.output and "delay s" in text.output
    as_json = runner.invoke(app, ["evaluate", "--scenario", "surge", "--seeds", "1", "--first-seed", "45", "--json",
                                  "--controller", "max-pressure", "--workers", "1", "--no-cameras", "--exact"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.output)
    assert document["seeds"] == [45]
    rows = {c["controller"]: c for c in document["controllers"]}
    assert set(rows) == {"max-pressure (exact counts)", "SUMO fixed-time", "SUMO actuated", "SUMO delay_based"}
    assert rows["max-pressure (exact counts)"]["mean_time_loss_s"]["mean"] < rows["SUMO fixed-time"]["mean_time_loss_s"]["mean"]


def test_evaluate_command_rejects_an_unknown_scenario() -> None:
    result = CliRunner().invoke(app, ["evaluate", "--scenario", "nope"])
    assert result.exit_code == 2
    assert "unknown; choose one of" in result.output


def test_evaluate_runs_on_a_users_own_network_and_routes(surge_scenario: Scenario) -> None:
    # The bundled files stand in for a user's: only the .net.xml and .rou.xml are given, nothing else.
    result = CliRunner().invoke(app, ["evaluate", "--net", str(surge_scenario.net_file),
                                      "--routes", str(surge_scenario.route_files[0]), "--seeds", "1", "--json"])
    assert result.exit_code == 0, result.output
    rows = {c["controller"]: c for c in json.loads(result.output)["controllers"]}
    assert set(rows) == {"SUMO fixed-time", "SUMO actuated", "SUMO delay_based"}
    assert rows["SUMO actuated"]["mean_time_loss_s"]["mean"] < rows["SUMO fixed-time"]["mean_time_loss_s"]["mean"]
