"""The bundled four-arm signalised intersection: written as SUMO plain XML and compiled with netconvert.

Edges are named `<arm>_in` (towards the junction) and `<arm>_out`; lane 0 is the outer (kerb-side) lane.
The junction sits at (0, 0) with north up, so SUMO coordinates are metres east/north of the stop-line centre.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edgesight.apps.traffic.sim.tls_programs import run_netconvert, write_tls_programs

# Clockwise compass order: seen from an arm, the next arm clockwise is where a left turn goes,
# the one opposite is straight on and the last one is the right turn (right-hand traffic).
ARMS: tuple[str, ...] = ("north", "east", "south", "west")
ARM_VECTORS: dict[str, tuple[int, int]] = {"north": (0, 1), "east": (1, 0), "south": (0, -1), "west": (-1, 0)}
TURNS: dict[str, int] = {"left": 1, "through": 2, "right": 3}
JUNCTION_ID = "C"


def turn_target(arm: str, turn: str) -> str:
    """The arm a vehicle arriving from `arm` leaves by when it makes `turn` (left/through/right)."""
    return ARMS[(ARMS.index(arm) + TURNS[turn]) % len(ARMS)]


# Which turns each lane of an approach may make: outer lane right+through, inner lane through+left.
LANE_TURNS: dict[int, tuple[str, ...]] = {0: ("right", "through"), 1: ("through", "left")}


@dataclass(frozen=True)
class FourArmIntersection:
    """Geometry and signal timing of the bundled intersection; `build()` writes the plain XML and the nets."""

    arm_length_m: float = 250.0
    speed_kmh: float = 50.0
    cycle_s: int = 90
    yellow_s: int = 3
    all_red_s: int = 2

    def nodes_xml(self) -> str:
        rows = [f'    <node id="{JUNCTION_ID}" x="0" y="0" type="traffic_light"/>']
        for arm, (dx, dy) in ARM_VECTORS.items():
            rows.append(f'    <node id="{arm}" x="{dx * self.arm_length_m:g}" y="{dy * self.arm_length_m:g}" type="priority"/>')
        return "<nodes>\n" + "\n".join(rows) + "\n</nodes>\n"

    def edges_xml(self) -> str:
        speed = self.speed_kmh / 3.6
        rows = []
        for arm in ARMS:
            # Road traffic only: pedestrians and cyclists are not part of this scenario.
            common = f'numLanes="2" speed="{speed:.2f}" disallow="pedestrian bicycle tram rail_urban rail rail_electric rail_fast ship"'
            rows.append(f'    <edge id="{arm}_in" from="{arm}" to="{JUNCTION_ID}" {common}/>')
            rows.append(f'    <edge id="{arm}_out" from="{JUNCTION_ID}" to="{arm}" {common}/>')
        return "<edges>\n" + "\n".join(rows) + "\n</edges>\n"

    def connections_xml(self) -> str:
        rows = []
        for arm in ARMS:
            for lane, turns in LANE_TURNS.items():
                for turn in turns:
                    target = turn_target(arm, turn)
                    # Each movement keeps its lane index, so right turns land kerb-side and lefts in the inner lane.
                    rows.append(
                        f'    <connection from="{arm}_in" to="{target}_out" fromLane="{lane}" toLane="{lane}"/>'
                    )
        return "<connections>\n" + "\n".join(rows) + "\n</connections>\n"

    def netconvert_inputs(self, name: str) -> list[str]:
        """netconvert arguments with file names relative to the scenario folder, so the generated files do not
        record where they were built."""
        return [
            "--node-files", f"{name}.nod.xml",
            "--edge-files", f"{name}.edg.xml",
            "--connection-files", f"{name}.con.xml",
            "--no-turnarounds", "true",
            "--offset.disable-normalization", "true",
            "--tls.cycle.time", str(self.cycle_s),
            "--tls.yellow.time", str(self.yellow_s),
            "--tls.allred.time", str(self.all_red_s),
        ]

    def build(self, folder: Path, name: str = "intersection") -> Path:
        """Write `<name>.nod/.edg/.con.xml`, compile `<name>.net.xml` (fixed-time program) and, for SUMO's own
        adaptive controllers, `<name>.tls_<type>.add.xml` holding the same phases as an actuated/delay_based
        program. Returns the .net.xml path."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.nod.xml").write_text(self.nodes_xml())
        (folder / f"{name}.edg.xml").write_text(self.edges_xml())
        (folder / f"{name}.con.xml").write_text(self.connections_xml())
        inputs = self.netconvert_inputs(name)
        run_netconvert([*inputs, "--tls.default-type", "static", "--output-file", f"{name}.net.xml"], folder)
        write_tls_programs(inputs, folder, name)
        return folder / f"{name}.net.xml"
