"""Bus commands. `bench_app` is mounted as `edgesight bench` (so: `edgesight bench bus`)."""
from __future__ import annotations

import json

import typer

from .bench import run_bench

bench_app = typer.Typer(no_args_is_help=True)


@bench_app.callback()
def bench() -> None:
    """Benchmarks."""  # a callback keeps `bus` a subcommand while it is the only one


@bench_app.command("bus")
def bench_bus(
    broker: str = typer.Option(None, help="mqtt://host:port of a Mosquitto to use; default: start a private one on loopback"),
    events: int = typer.Option(10_000, min=100, help="Events in the as-fast-as-possible phase"),
    rate: float = typer.Option(1_000, min=1, help="Events/s in the paced latency phase"),
    seconds: float = typer.Option(5.0, min=0.5, help="Length of the paced phase"),
    rounds: int = typer.Option(3, min=1, help="Turns per variant, in alternating order"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object"),
) -> None:
    """Events/s and publish-to-consumer latency: plain aiomqtt QoS 1 vs EdgeSight's outbox publisher."""
    figures = run_bench(broker, events=events, rate=rate, seconds=seconds, rounds=rounds)
    if as_json:
        typer.echo(json.dumps(figures.as_dict()))
        return
    typer.echo(f"broker: {figures.broker}; {rounds} round(s) per variant of {events} events flat out, "
               f"then {rate:g} events/s for {seconds:g} s")
    typer.echo(f"{'':28}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for label, variant in (("(a) aiomqtt QoS 1, no outbox", figures.plain), ("(b) EdgeSight outbox", figures.outbox)):
        typer.echo(f"{label:28}{variant.events_per_s:>10.0f}{variant.p50_ms:>9.2f}{variant.p99_ms:>9.2f}")
    met = figures.as_dict()["targets_met"]
    typer.echo(f"(b)/(a) throughput {figures.throughput_ratio:.0%}; target >= 75% and p99 < 20 ms: {'met' if met else 'NOT met'}")
