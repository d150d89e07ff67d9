"""Measurement accuracy against SUMO's ground truth on a recorded clip (`edgesight traffic record`).

Counts: per approach, the vehicles the camera counted entering (and leaving) over the approach's counting line
against the vehicles whose front bumper crossed that line in SUMO. Queues: once a second, per entry lane, the
queued vehicles measured against SUMO's queue there: the vehicles at or below the site's stopped speed, from
the stop line back to the first moving one, within the stretch of lane the site watches. Truth geometry is the
site's own lines and lanes taken to road metres through its ground plane, so both sides measure the same thing.
"""
from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from edgesight.apps.traffic.measure.ground_plane import GroundPlane
from edgesight.apps.traffic.measure.line_counter import LineCrossing
from edgesight.apps.traffic.measure.site import LineConfig, SiteConfig
from edgesight.apps.traffic.measure.site_measurement import IntervalReport
from edgesight.apps.traffic.sim.camera_source import FrameTruth


class WorldLine:
    """A site line on the road in metres: which side a point is on, and whether a step crosses the segment."""

    def __init__(self, line: LineConfig, ground: GroundPlane) -> None:
        self.start, self.end = ground.to_metres(np.array([line.start, line.end], dtype=float))
        self.in_side = self.side(ground.to_metres(np.array([line.in_towards], dtype=float))[0]) if line.in_towards else 0

    def side(self, xy: np.ndarray) -> int:
        d, r = self.end - self.start, np.asarray(xy) - self.start
        return int(np.sign(d[0] * r[1] - d[1] * r[0]))

    def crossed_by(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Does the step a -> b cross the segment (not its extension)?"""
        sa, sb = self.side(a), self.side(b)
        if sa == 0 or sb == 0 or sa == sb:
            return False
        t = abs(self._signed(a)) / (abs(self._signed(a)) + abs(self._signed(b)))
        point = a + t * (b - a)
        d = self.end - self.start
        return -0.02 <= float((point - self.start) @ d / (d @ d)) <= 1.02

    def _signed(self, xy: np.ndarray) -> float:
        d, r = self.end - self.start, np.asarray(xy) - self.start
        return float(d[0] * r[1] - d[1] * r[0])


def true_crossings(frames: Sequence[FrameTruth], line: WorldLine) -> Counter:
    """direction ("in"/"out") -> vehicles whose front bumper crossed `line` during the clip, each at most once."""
    last: dict[str, np.ndarray] = {}
    counted: set[str] = set()
    out: Counter = Counter()
    for truth in frames:
        for vid, xy in zip(truth.ids, truth.xy):
            if line.side(xy) == 0:  # on the line: the crossing completes on the next frame
                continue
            if vid in last and vid not in counted and line.crossed_by(last[vid], xy):
                counted.add(vid)
                out["in" if line.side(xy) == line.in_side else "out"] += 1
            last[vid] = xy
    return out


class LaneQueueTruth:
    """SUMO's queue on one entry lane: stopped vehicles from the stop line back to the first moving one, within
    the stretch of lane the site watches (`lane_polygon_m`, the lane's polygon on the road)."""

    def __init__(self, lane: str, stop_line: WorldLine, lane_polygon_m: np.ndarray, stopped_mps: float) -> None:
        self.lane = lane
        direction = (stop_line.end - stop_line.start) / np.linalg.norm(stop_line.end - stop_line.start)
        self.origin, normal = stop_line.start, np.array([-direction[1], direction[0]])
        # Distances grow upstream, into the lane.
        self.normal = normal if (lane_polygon_m.mean(axis=0) - self.origin) @ normal > 0 else -normal
        self.reach_m = float(((lane_polygon_m - self.origin) @ self.normal).max())
        self.stopped_mps = stopped_mps

    def vehicles(self, truth: FrameTruth) -> int:
        on_lane = [(float((xy - self.origin) @ self.normal), speed)
                   for lane, xy, speed in zip(truth.lanes, truth.xy, truth.speed) if lane == self.lane]
        queued = 0
        for distance, speed in sorted(on_lane):
            if distance < -1.0:  # its front already over the line: leaving, not queued
                continue
            if distance > self.reach_m or speed > self.stopped_mps:
                break
            queued += 1
        return queued


@dataclass
class ApproachAccuracy:
    approach: str
    true_in: int
    measured_in: int
    true_out: int
    measured_out: int
    queue_mae: float | None  # vehicles, over the approach's entry lanes and every sampled second
    max_true_queue: int

    @staticmethod
    def error(measured: int, true: int) -> float | None:
        return abs(measured - true) / true if true else None

    @property
    def in_error(self) -> float | None:
        return self.error(self.measured_in, self.true_in)

    @property
    def out_error(self) -> float | None:
        return self.error(self.measured_out, self.true_out)


@dataclass
class AccuracyReport:
    seconds: float
    approaches: list[ApproachAccuracy] = field(default_factory=list)
    queue_errors: list[float] = field(default_factory=list)  # every (lane, second) absolute error

    @property
    def queue_mae(self) -> float | None:
        return statistics.fmean(self.queue_errors) if self.queue_errors else None

    def as_json(self) -> dict:
        return {"seconds": self.seconds, "queue_mae_vehicles": self.queue_mae,
                "approaches": [{**a.__dict__, "in_error": a.in_error, "out_error": a.out_error} for a in self.approaches]}

    def as_text(self) -> str:
        def pct(value: float | None) -> str:
            return f"{value:.1%}" if value is not None else "-"

        lines = [f"{'approach':<10}{'in true':>8}{'counted':>8}{'error':>8}{'out true':>10}{'counted':>8}{'error':>8}"
                 f"{'queue MAE':>11}{'max queue':>10}"]
        for a in self.approaches:
            mae = f"{a.queue_mae:.2f}" if a.queue_mae is not None else "-"
            lines.append(f"{a.approach:<10}{a.true_in:>8}{a.measured_in:>8}{pct(a.in_error):>8}{a.true_out:>10}"
                         f"{a.measured_out:>8}{pct(a.out_error):>8}{mae:>11}{a.max_true_queue:>10}")
        overall = f"{self.queue_mae:.2f}" if self.queue_mae is not None else "-"
        lines.append(f"queue MAE over every entry lane and second: {overall} vehicles ({self.seconds:.0f} s of video)")
        return "\n".join(lines)


def score_clip(config: SiteConfig, frames: Sequence[FrameTruth], measured_counts: Counter,
               measured_queues: dict[int, dict[str, int]]) -> tuple[list[ApproachAccuracy], list[float]]:
    """`measured_counts`: (line, direction) -> vehicles; `measured_queues`: frame seq -> lane -> queued vehicles.
    Returns one row per approach with a counting line or a stop line, and every queue sample's absolute error."""
    ground = GroundPlane(config.ground_plane)
    by_seq = {truth.seq: truth for truth in frames}
    stopped_mps = config.stopped_speed_kmh / 3.6
    rows, all_errors = [], []
    for approach in config.approaches:
        lines = {direction: _count_line(config, approach.name, direction) for direction in ("in", "out")}
        names = {direction: line.name for direction, line in lines.items() if line is not None}
        # One pass over the clip per line: a line counting both directions is walked once.
        crossed = {line.name: true_crossings(frames, WorldLine(line, ground)) for line in lines.values() if line is not None}
        true = Counter({direction: crossed[name][direction] for direction, name in names.items()})
        stop_line = next((line for line in config.lines if line.kind == "stop" and line.approach == approach.name), None)
        errors: list[float] = []
        max_queue = 0
        if stop_line is not None:
            stop = WorldLine(stop_line, ground)
            for lane in config.lanes_of(approach.name, "in"):
                truth = LaneQueueTruth(lane.name, stop, ground.to_metres(np.array(lane.polygon, dtype=float)), stopped_mps)
                for seq, queues in measured_queues.items():
                    if seq in by_seq and lane.name in queues:
                        expected = truth.vehicles(by_seq[seq])
                        max_queue = max(max_queue, expected)
                        errors.append(abs(queues[lane.name] - expected))
        rows.append(ApproachAccuracy(approach.name, true["in"], measured_counts[(names.get("in"), "in")], true["out"],
                                     measured_counts[(names.get("out"), "out")],
                                     statistics.fmean(errors) if errors else None, max_queue))
        all_errors += errors
    return rows, all_errors


def _count_line(config: SiteConfig, approach: str, direction: str) -> LineConfig | None:
    """The line that counts `direction` on `approach`: one marked with that approach, or the one a simulated
    camera's site names `<approach>_count` (camera_site.site_config_for)."""
    return next((line for line in config.lines if line.kind == "count" and line.counts in ("both", direction)
                 and (line.approach == approach or line.name == f"{approach}_count")), None)


def measured_from(crossings: Sequence[LineCrossing], reports: dict[int, IntervalReport]
                  ) -> tuple[Counter, dict[int, dict[str, int]]]:
    """(line, direction) counts from LineCrossings, and frame seq -> lane -> queue from IntervalReports."""
    counts = Counter((c.line, c.direction) for c in crossings)
    queues = {seq: {lane.lane: lane.queue_vehicles for lane in report.lanes if lane.direction == "in"}
              for seq, report in reports.items()}
    return counts, queues

