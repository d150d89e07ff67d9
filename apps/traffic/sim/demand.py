"""Traffic demand of the bundled scenarios: veh/h per approach over time, split by fixed turning ratios and
written as SUMO flows with Poisson arrivals.

`period="exp(rate)"` makes SUMO draw exponential headways from its seeded RNG, so each seed is a different
Poisson realisation of the same demand. Flows end with the demand; the simulation then runs until the last
vehicle has left the network.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edgesight.apps.traffic.sim.fleet import Fleet
from edgesight.apps.traffic.sim.intersection import ARMS, turn_target

TURN_SHARES: dict[str, float] = {"left": 0.15, "through": 0.70, "right": 0.15}


@dataclass(frozen=True)
class DemandPeriod:
    """Between `begin_s` and `end_s`, `veh_per_h[arm]` vehicles per hour arrive on each approach."""

    begin_s: int
    end_s: int
    veh_per_h: dict[str, float]


@dataclass(frozen=True)
class DemandSet:
    name: str
    description: str
    periods: tuple[DemandPeriod, ...]

    @property
    def end_s(self) -> int:
        return max(p.end_s for p in self.periods)

    def routes_xml(self, fleet: Fleet) -> str:
        rows = ["<routes>", fleet.xml()]
        for arm in ARMS:
            for turn in TURN_SHARES:
                rows.append(f'    <route id="{arm}_{turn}" edges="{arm}_in {turn_target(arm, turn)}_out"/>')
        for index, period in enumerate(sorted(self.periods, key=lambda p: p.begin_s)):
            for arm in ARMS:
                for turn, share in TURN_SHARES.items():
                    rate = period.veh_per_h.get(arm, 0.0) * share / 3600.0
                    if rate <= 0:
                        continue
                    # departLane="best": a vehicle enters on a lane that allows its turn, as it would have
                    # sorted itself upstream of the 250 m arm.
                    rows.append(
                        f'    <flow id="{arm}_{turn}_{index}" type="{fleet.id}" route="{arm}_{turn}" '
                        f'begin="{period.begin_s}" end="{period.end_s}" period="exp({rate:.6f})" '
                        f'departLane="best" departSpeed="max"/>'
                    )
        rows.append("</routes>")
        return "\n".join(rows) + "\n"

    def write(self, path: Path, fleet: Fleet) -> Path:
        path.write_text(self.routes_xml(fleet))
        return path


def _uniform(veh_per_h: float) -> dict[str, float]:
    return {arm: veh_per_h for arm in ARMS}


def _north_south_east_west(ns: float, ew: float) -> dict[str, float]:
    return {"north": ns, "south": ns, "east": ew, "west": ew}


HOUR = 3600
DEMAND_SETS: dict[str, DemandSet] = {
    d.name: d
    for d in (
        DemandSet("balanced", "(a) 500 veh/h on every approach for 1 h", (DemandPeriod(0, HOUR, _uniform(500)),)),
        DemandSet(
            "unbalanced",
            "(b) N/S 900 veh/h, E/W 300 veh/h for 1 h",
            (DemandPeriod(0, HOUR, _north_south_east_west(900, 300)),),
        ),
        DemandSet(
            "shift",
            "(c) N/S 900 + E/W 300 veh/h for 30 min, then swapped for 30 min",
            (
                DemandPeriod(0, HOUR // 2, _north_south_east_west(900, 300)),
                DemandPeriod(HOUR // 2, HOUR, _north_south_east_west(300, 900)),
            ),
        ),
        DemandSet(
            "surge",
            "demo: 15 min at 400 veh/h per approach with a 5 min surge of 1200 veh/h from the north",
            (
                DemandPeriod(0, 300, _uniform(400)),
                DemandPeriod(300, 600, {**_uniform(400), "north": 1200}),
                DemandPeriod(600, 900, _uniform(400)),
            ),
        ),
    )
}
