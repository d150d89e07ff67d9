"""Vehicle types of the bundled scenarios, as SUMO <vType> definitions.

The reference fleet is passenger cars only, with the car-following parameters the evaluation figures were
measured with. The mixed fleet adds buses, trucks and motorcycles so the camera and the detector see every
class they are trained on; its shares are those of a typical urban arterial.
"""
from __future__ import annotations

from dataclasses import dataclass

# SUMO vClass -> the class name the rest of EdgeSight uses (detector labels, events).
CLASS_OF_VCLASS: dict[str, str] = {
    "passenger": "car",
    "taxi": "car",
    "private": "car",
    "evehicle": "car",
    "emergency": "car",
    "bus": "bus",
    "coach": "bus",
    "truck": "truck",
    "trailer": "truck",
    "delivery": "truck",
    "motorcycle": "motorcycle",
    "moped": "motorcycle",
}


@dataclass(frozen=True)
class VehicleType:
    """One SUMO vType (Krauss car-following); sizes in metres, accelerations in m/s^2."""

    id: str
    vclass: str
    length: float
    width: float
    height: float
    accel: float
    decel: float
    max_speed_kmh: float
    sigma: float = 0.5
    min_gap: float = 2.5
    tau: float = 1.0
    # Every driver keeps to the speed limit: with SUMO's default 10 % spread of desired speeds the plain-SUMO
    # figures of the bundled scenarios come out about 5 % above the reference values.
    speed_dev: float = 0.0

    def xml(self, probability: float | None = None) -> str:
        share = "" if probability is None else f' probability="{probability:g}"'
        return (
            f'<vType id="{self.id}" vClass="{self.vclass}" carFollowModel="Krauss" accel="{self.accel:g}" '
            f'decel="{self.decel:g}" sigma="{self.sigma:g}" tau="{self.tau:g}" length="{self.length:g}" '
            f'minGap="{self.min_gap:g}" speedDev="{self.speed_dev:g}" width="{self.width:g}" height="{self.height:g}" '
            f'maxSpeed="{self.max_speed_kmh / 3.6:.2f}"{share}/>'
        )


CAR = VehicleType("car", "passenger", length=5.0, width=1.8, height=1.5, accel=2.6, decel=4.5, max_speed_kmh=200)
BUS = VehicleType("bus", "bus", length=12.0, width=2.55, height=3.2, accel=1.2, decel=4.0, max_speed_kmh=85)
TRUCK = VehicleType("truck", "truck", length=10.0, width=2.5, height=3.6, accel=1.3, decel=4.0, max_speed_kmh=90)
MOTORCYCLE = VehicleType(
    "motorcycle", "motorcycle", length=2.2, width=0.8, height=1.4, accel=4.0, decel=7.0, max_speed_kmh=120
)


@dataclass(frozen=True)
class Fleet:
    """What a flow's `type` names: a single vType, or a vTypeDistribution drawn from per vehicle."""

    id: str
    shares: tuple[tuple[VehicleType, float], ...]

    def xml(self) -> str:
        if len(self.shares) == 1:
            return "    " + self.shares[0][0].xml()
        members = "\n".join("        " + vtype.xml(share) for vtype, share in self.shares)
        return f'    <vTypeDistribution id="{self.id}">\n{members}\n    </vTypeDistribution>'


PASSENGER_CARS = Fleet("car", ((CAR, 1.0),))
MIXED_FLEET = Fleet("mixed", ((CAR, 0.85), (TRUCK, 0.07), (BUS, 0.03), (MOTORCYCLE, 0.05)))
