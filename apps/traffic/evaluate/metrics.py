"""What one simulation run scores, read from SUMO's tripinfo and queue outputs."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from xml.etree import ElementTree

# SUMO options that make a run write what `RunMetrics.from_outputs` reads.
TRIPINFO_FILE = "tripinfo.xml"
QUEUE_FILE = "queue.xml"


def output_args(folder: Path) -> list[str]:
    return ["--tripinfo-output", str(folder / TRIPINFO_FILE), "--queue-output", str(folder / QUEUE_FILE)]


@dataclass(frozen=True)
class RunMetrics:
    """Means over every vehicle that finished its trip. `throughput_veh_h` counts the trips finished while
    demand was still arriving (until the last scheduled departure), per hour; `max_queue_m` is the longest
    queue on any lane at any step."""

    vehicles: int
    mean_time_loss_s: float
    mean_waiting_s: float
    throughput_veh_h: float
    max_queue_m: float
    end_time_s: float

    @classmethod
    def from_outputs(cls, folder: Path) -> RunMetrics:
        trips = _read_trips(folder / TRIPINFO_FILE)
        if not trips:
            raise ValueError(f"tripinfo {folder / TRIPINFO_FILE}: no vehicle finished its trip; check the routes")
        # A vehicle's scheduled departure is when it actually entered less the time it waited to get in.
        demand_end = max(t["depart"] - t["departDelay"] for t in trips)
        served = sum(1 for t in trips if t["arrival"] <= demand_end)
        return cls(
            vehicles=len(trips),
            mean_time_loss_s=sum(t["timeLoss"] for t in trips) / len(trips),
            mean_waiting_s=sum(t["waitingTime"] for t in trips) / len(trips),
            throughput_veh_h=served * 3600.0 / demand_end if demand_end > 0 else float(served),
            max_queue_m=_max_queue(folder / QUEUE_FILE),
            end_time_s=max(t["arrival"] for t in trips),
        )

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


_TRIP_FIELDS = ("depart", "departDelay", "arrival", "timeLoss", "waitingTime")


def _read_trips(path: Path) -> list[dict[str, float]]:
    trips = []
    for _, element in ElementTree.iterparse(path):
        if element.tag == "tripinfo":
            trips.append({name: float(element.get(name, 0.0)) for name in _TRIP_FIELDS})
            element.clear()
    return trips


def _max_queue(path: Path) -> float:
    longest = 0.0
    for _, element in ElementTree.iterparse(path):
        if element.tag == "lane":
            longest = max(longest, float(element.get("queueing_length", 0.0)))
        elif element.tag == "data":
            element.clear()
    return longest
