"""Write the bundled SUMO scenarios into this folder: the intersection (plain XML, compiled net, SUMO's
actuated and delay_based programs) and one route file per demand set and fleet.

    python -m edgesight.apps.traffic.scenarios.generate [--out FOLDER]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from edgesight.apps.traffic.sim.demand import DEMAND_SETS
from edgesight.apps.traffic.sim.fleet import MIXED_FLEET, PASSENGER_CARS
from edgesight.apps.traffic.sim.intersection import FourArmIntersection
from edgesight.apps.traffic.sim.scenario import MIXED_SUFFIX, NETWORK_NAME, SCENARIO_DIR


def generate(folder: Path = SCENARIO_DIR) -> list[Path]:
    written = [FourArmIntersection().build(folder, NETWORK_NAME)]
    for name, demand in DEMAND_SETS.items():
        written.append(demand.write(folder / f"{name}.rou.xml", PASSENGER_CARS))
        written.append(demand.write(folder / f"{name}{MIXED_SUFFIX}.rou.xml", MIXED_FLEET))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SCENARIO_DIR, help="folder to write into (default: %(default)s)")
    for path in generate(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
