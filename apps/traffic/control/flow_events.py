"""Traffic-flow events from the cameras turned into the controller's lane measurements.

A camera names its lanes in its site config; `lane_map` says which controller lane (an incoming lane of a
signal group) each `<camera source>/<camera lane>` is. Lanes the map does not name are not the controller's.
"""
from __future__ import annotations

from collections.abc import Mapping

from edgesight.core.events import Envelope, TrafficFlow

from edgesight.apps.traffic.control.measurements import LaneMeasurement

# Road space one queued vehicle takes (a car and its gap): converts a queue in metres to vehicles.
QUEUED_VEHICLE_SPACING_M = 7.5


class FlowEventReader:
    def __init__(self, lane_map: Mapping[str, str]) -> None:
        if not lane_map:
            raise ValueError("FlowEventReader: empty lane map; map each '<camera>/<lane>' to a controller lane")
        self.lane_map = dict(lane_map)

    def measurements(self, envelope: Envelope) -> list[LaneMeasurement]:
        """The measurements in one traffic_flow event, stamped with its capture time (epoch seconds)."""
        body = envelope.data
        if not isinstance(body, TrafficFlow):
            return []
        time = envelope.capture_time.timestamp()
        result = []
        for lane in body.lanes:
            target = self.lane_map.get(f"{envelope.source}/{lane.lane}")
            if target is None:
                continue
            result.append(LaneMeasurement(
                lane=target,
                time=time,
                # A v1 event reports the queue, not every vehicle in the zone: its queued vehicles stand in.
                vehicles=lane.vehicles_in_zone if lane.vehicles_in_zone is not None
                else lane.queue_length_m / QUEUED_VEHICLE_SPACING_M,
                queue_length_m=lane.queue_length_m,
                occupancy=lane.occupancy,
                flow_veh_h=lane.flow_veh_h,
            ))
        return result
