"""A SUMO scenario: a network, its demand and the signal programs SUMO can run on it.

Bundled scenarios live in apps/traffic/scenarios/ (written by `python -m edgesight.apps.traffic.scenarios.generate`);
`Scenario.from_files` wraps a user's own network and routes (e.g. built from OpenStreetMap with netconvert).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from edgesight.apps.traffic.sim.demand import DEMAND_SETS
from edgesight.apps.traffic.sim.tls_programs import write_tls_programs

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
NETWORK_NAME = "intersection"
# SUMO's own signal programs: the net holds the fixed-time one; the others are additional files.
SUMO_PROGRAMS: tuple[str, ...] = ("static", "actuated", "delay_based")
MIXED_SUFFIX = "-mixed"


@dataclass(frozen=True)
class Scenario:
    name: str
    net_file: Path
    route_files: tuple[Path, ...]
    description: str = ""
    # programID -> additional file with that tlLogic; "static" (the net's own program) needs none.
    program_files: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def from_files(cls, net_file: str | Path, route_files: list[str | Path], name: str | None = None) -> Scenario:
        """A user's own network and routes; only the net's own signal program ("static") is known for it."""
        net = Path(net_file)
        routes = tuple(Path(r) for r in route_files)
        for path in (net, *routes):
            if not path.is_file():
                raise FileNotFoundError(f"scenario file {path}: does not exist; give an existing .net.xml/.rou.xml")
        return cls(name=name or net.name.removesuffix(".net.xml"), net_file=net, route_files=routes)

    def with_sumo_programs(self, folder: Path) -> Scenario:
        """This scenario plus SUMO's actuated and delay_based programs, rebuilt by netconvert from its network
        into `folder` (for a user's network, which comes with its fixed-time program only)."""
        folder.mkdir(parents=True, exist_ok=True)
        inputs = ["--sumo-net-file", str(self.net_file.resolve()), "--tls.rebuild", "true"]
        return replace(self, program_files=write_tls_programs(inputs, folder, self.name))

    @property
    def programs(self) -> tuple[str, ...]:
        return ("static", *self.program_files)

    def sumo_args(self, program: str = "static") -> list[str]:
        """Command-line arguments that load this scenario with `program` as the active signal program."""
        if program != "static" and program not in self.program_files:
            raise ValueError(
                f"scenario {self.name!r}: no signal program {program!r}; choose one of {', '.join(self.programs)}"
            )
        args = ["--net-file", str(self.net_file), "--route-files", ",".join(str(r) for r in self.route_files)]
        if program != "static":
            args += ["--additional-files", str(self.program_files[program])]
        return args


def scenario_names() -> list[str]:
    """Names of the bundled scenarios: each demand set with passenger cars, and with the mixed fleet."""
    return [f"{name}{suffix}" for name in DEMAND_SETS for suffix in ("", MIXED_SUFFIX)]


def load_scenario(name: str, folder: Path = SCENARIO_DIR) -> Scenario:
    """A bundled scenario by name (see `scenario_names()`)."""
    if name not in scenario_names():
        raise ValueError(f"scenario {name!r}: unknown; choose one of {', '.join(scenario_names())}")
    net = folder / f"{NETWORK_NAME}.net.xml"
    routes = folder / f"{name}.rou.xml"
    for path in (net, routes):
        if not path.is_file():
            raise FileNotFoundError(
                f"scenario {name!r}: {path} is missing; run `python -m edgesight.apps.traffic.scenarios.generate`"
            )
    demand = DEMAND_SETS[name.removesuffix(MIXED_SUFFIX)]
    fleet = "mixed fleet" if name.endswith(MIXED_SUFFIX) else "passenger cars"
    programs = {p: folder / f"{NETWORK_NAME}.tls_{p}.add.xml" for p in SUMO_PROGRAMS if p != "static"}
    return Scenario(
        name=name,
        net_file=net,
        route_files=(routes,),
        description=f"{demand.description}, {fleet}",
        program_files=programs,
    )
