"""Signal groups of one intersection, which of them conflict, and the stages (sets of groups green together).

Read from a SUMO network: a signal group is the links of one approach that always show the same colour in
the network's own program, and two groups conflict unless that program ever shows them green together. The
program is the traffic engineer's verified design; everything else in the controller is checked against it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SignalGroup:
    """One signal head: the SUMO link indices it drives, the lanes that feed them and, per link, the green it
    shows ('G' priority, 'g' permissive: the left turn yields to oncoming traffic)."""

    name: str
    links: tuple[int, ...]
    greens: tuple[str, ...]
    lanes: tuple[str, ...]


@dataclass(frozen=True)
class SignalLayout:
    tls_id: str
    link_count: int
    groups: tuple[SignalGroup, ...]
    conflicts: frozenset[frozenset[str]]
    stages: tuple[frozenset[str], ...]

    def __post_init__(self) -> None:
        names = self.group_names
        for stage in self.stages:
            if not stage <= names or not self.compatible(stage):
                raise ValueError(f"signal layout {self.tls_id}: stage {sorted(stage)} has unknown or conflicting groups")

    @property
    def group_names(self) -> frozenset[str]:
        return frozenset(g.name for g in self.groups)

    def group(self, name: str) -> SignalGroup:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(f"signal group {name!r}: not in intersection {self.tls_id} ({', '.join(sorted(self.group_names))})")

    def conflicting(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.conflicts

    def compatible(self, groups: Iterable[str]) -> bool:
        """True if no two of `groups` conflict."""
        members = sorted(set(groups))
        return not any(self.conflicting(a, b) for i, a in enumerate(members) for b in members[i + 1 :])

    def conflicts_of(self, name: str) -> frozenset[str]:
        return frozenset(other for pair in self.conflicts if name in pair for other in pair if other != name)

    def stage_name(self, stage: frozenset[str]) -> str:
        return "-".join(sorted(stage)) if stage else "all_red"

    @classmethod
    def from_sumo_net(cls, net_file: str | Path, tls_id: str | None = None) -> SignalLayout:
        """The layout of traffic light `tls_id` (default: the network's only one) from its .net.xml."""
        import sumolib

        net = sumolib.net.readNet(str(net_file), withPrograms=True)
        lights = {tls.getID(): tls for tls in net.getTrafficLights()}
        if tls_id is None:
            if len(lights) != 1:
                raise ValueError(
                    f"network {net_file}: has {len(lights)} traffic lights ({', '.join(sorted(lights))}); name one"
                )
            tls_id = next(iter(lights))
        if tls_id not in lights:
            raise ValueError(f"network {net_file}: no traffic light {tls_id!r} (has {', '.join(sorted(lights))})")
        tls = lights[tls_id]
        programs = list(tls.getPrograms().values())
        if not programs:
            raise ValueError(f"traffic light {tls_id} in {net_file}: has no signal program to derive groups from")
        phases = [p.state for p in programs[0].getPhases()]
        incoming: dict[int, str] = {}
        for in_lane, _out_lane, index in tls.getConnections():
            incoming[index] = in_lane.getID()
        return layout_from_program(tls_id, phases, incoming)


def _is_green(signal: str) -> bool:
    return signal in "Gg"


def layout_from_program(tls_id: str, phases: list[str], incoming_lane: dict[int, str]) -> SignalLayout:
    """Groups, conflicts and stages from a fixed-time program (one state string per phase) and the incoming
    lane of each link index."""
    link_count = len(phases[0])
    # Links of one approach that are green in exactly the same phases are driven by one signal head.
    heads: dict[tuple[str, tuple[bool, ...]], list[int]] = {}
    for link in range(link_count):
        if link not in incoming_lane:
            continue
        edge = incoming_lane[link].rsplit("_", 1)[0]
        pattern = tuple(_is_green(state[link]) for state in phases)
        if any(pattern):
            heads.setdefault((edge, pattern), []).append(link)
    per_edge: dict[str, int] = {}
    for edge, _ in heads:
        per_edge[edge] = per_edge.get(edge, 0) + 1
    groups = []
    seen: dict[str, int] = {}
    for (edge, _), links in heads.items():
        seen[edge] = seen.get(edge, 0) + 1
        name = edge if per_edge[edge] == 1 else f"{edge}_{seen[edge]}"
        # A link that is ever permissive stays permissive: giving it priority could make it a conflict.
        greens = tuple("g" if any(state[link] == "g" for state in phases) else "G" for link in links)
        lanes = tuple(dict.fromkeys(incoming_lane[link] for link in links))
        groups.append(SignalGroup(name=name, links=tuple(links), greens=greens, lanes=lanes))
    green_sets = []
    for state in phases:
        green = frozenset(g.name for g in groups if any(_is_green(state[link]) for link in g.links))
        if green and green not in green_sets:
            green_sets.append(green)
    conflicts = frozenset(
        frozenset((a.name, b.name))
        for i, a in enumerate(groups)
        for b in groups[i + 1 :]
        if not any(a.name in s and b.name in s for s in green_sets)
    )
    return SignalLayout(tls_id=tls_id, link_count=link_count, groups=tuple(groups), conflicts=conflicts,
                        stages=tuple(green_sets))
