"""Per-step vehicle states read from a running SUMO simulation through TraCI subscriptions.

Subscriptions make one call per step return every vehicle's variables, instead of one call per vehicle and
variable, which is what keeps reading states at camera rate cheap.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import traci.constants as tc

from edgesight.apps.traffic.sim.fleet import CLASS_OF_VCLASS

_VARIABLES = (
    tc.VAR_POSITION,
    tc.VAR_ANGLE,
    tc.VAR_SPEED,
    tc.VAR_LANE_ID,
    tc.VAR_VEHICLECLASS,
    tc.VAR_LENGTH,
    tc.VAR_WIDTH,
    tc.VAR_HEIGHT,
)


@dataclass(frozen=True, slots=True)
class VehicleState:
    """A vehicle at one simulation step. (x, y) is the centre of its FRONT bumper in network metres (SUMO's
    convention); `angle` is the heading in degrees, 0 = north, clockwise; sizes in metres, speed in m/s;
    `vehicle_class` is car, bus, truck or motorcycle (SUMO classes outside those map to "car")."""

    id: str
    vehicle_class: str
    x: float
    y: float
    angle: float
    length: float
    width: float
    height: float
    speed: float
    lane_id: str


class VehicleStateReader:
    """Subscribes each vehicle as it departs and turns the subscription results into VehicleStates.

    `api` is the libsumo module or a traci connection: both expose the same domain objects.
    `subscribe_departed()` must run after every simulation step (SumoRun.step does it); `read()` may run
    at any step, e.g. only at camera frames."""

    def __init__(self, api: Any) -> None:
        self._api = api

    def subscribe_departed(self) -> None:
        # Subscribing also answers at once, so a vehicle appears in the step it departs.
        for vehicle_id in self._api.simulation.getDepartedIDList():
            self._api.vehicle.subscribe(vehicle_id, _VARIABLES)

    def read(self) -> list[VehicleState]:
        results = self._api.vehicle.getAllSubscriptionResults()
        return [_state(vehicle_id, values) for vehicle_id, values in results.items()]


def _state(vehicle_id: str, values: dict[int, Any]) -> VehicleState:
    x, y = values[tc.VAR_POSITION]
    return VehicleState(
        id=vehicle_id,
        vehicle_class=CLASS_OF_VCLASS.get(values[tc.VAR_VEHICLECLASS], "car"),
        x=x,
        y=y,
        angle=values[tc.VAR_ANGLE],
        length=values[tc.VAR_LENGTH],
        width=values[tc.VAR_WIDTH],
        height=values[tc.VAR_HEIGHT],
        speed=values[tc.VAR_SPEED],
        lane_id=values[tc.VAR_LANE_ID],
    )
