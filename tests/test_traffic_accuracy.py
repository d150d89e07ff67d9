"""Measurement accuracy against SUMO: the ground-truth side on hand-made tracks, then a recorded clip of the
approach camera through the shipped detector, scored with `edgesight traffic record` and `traffic accuracy`."""
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner
import pytest

from edgesight.apps.traffic.cli import app
from edgesight.apps.traffic.evaluate.accuracy import LaneQueueTruth, WorldLine, true_crossings
from edgesight.apps.traffic.measure.ground_plane import GroundPlane
from edgesight.apps.traffic.measure.site import GroundPlaneConfig, LineConfig
from edgesight.apps.traffic.sim.camera_source import FrameTruth

# Image pixels are road metres here (x east, y north): lines and lanes read directly.
GROUND = GroundPlane(GroundPlaneConfig(image=[[0, 0], [100, 0], [100, 100], [0, 100]],
                                       world=[[0, 0], [100, 0], [100, 100], [0, 100]]))


def frame(seq: int, vehicles: dict[str, tuple[float, float, float]], lane: str = "south_in_0") -> FrameTruth:
    """vehicles: id -> (x, y, speed)."""
    rows = list(vehicles.items())
    return FrameTruth(seq=seq, sim_time=float(seq), ids=[v for v, _ in rows], class_names=["car"] * len(rows),
                      lanes=[lane] * len(rows), xyxy=np.full((len(rows), 4), np.nan), visibility=np.ones(len(rows)),
                      labelled=np.ones(len(rows), bool), xy=np.array([(x, y) for _, (x, y, _) in rows]).reshape(-1, 2),
                      speed=np.array([s for _, (_, _, s) in rows]))


def test_truth_counts_each_vehicle_once_per_line_and_direction_of_travel() -> None:
    line = WorldLine(LineConfig(name="south_count", start=(40, 50), end=(60, 50), in_towards=(50, 60)), GROUND)
    northbound = [30, 45, 52, 49, 55, 70]  # crosses, backs over the line and crosses again: one vehicle
    frames = [frame(i, {"a": (50, y, 5), "b": (55, 80 - 10 * i, 5), "c": (90, y, 5)}) for i, y in enumerate(northbound)]
    counts = true_crossings(frames, line)
    # a drives in (north, towards in_towards), b drives out (south) across the segment, c passes beside it.
    assert counts == {"in": 1, "out": 1}


def test_truth_queue_is_the_stopped_vehicles_from_the_stop_line_back_to_the_first_moving_one() -> None:
    stop = WorldLine(LineConfig(name="south_stop", kind="stop", approach="south", start=(40, 50), end=(60, 50)), GROUND)
    lane = np.array([[45, 50], [55, 50], [55, 10], [45, 10]], float)  # 40 m of lane south of the stop line
    queue = LaneQueueTruth("south_in_0", stop, lane, stopped_mps=1.4)
    standing = {"v1": (50, 49, 0.0), "v2": (50, 42, 0.3), "v3": (50, 35, 0.0), "v4": (50, 27, 6.0), "v5": (50, 20, 0.0),
                "gone": (50, 52, 8.0), "far": (50, 5, 0.0)}
    assert queue.vehicles(frame(0, standing)) == 3
    assert queue.vehicles(frame(0, {"v1": (50, 49, 3.0), "v2": (50, 42, 0.0)})) == 0
    assert queue.reach_m == pytest.approx(40.0)


@pytest.mark.slow
def test_counts_and_queues_on_a_recorded_approach_clip_match_sumo(tmp_path: Path) -> None:
    runner = CliRunner()
    recorded = runner.invoke(app, ["record", "--scenario", "unbalanced", "--camera", "approach-south", "--out",
                                   str(tmp_path), "--seconds", "30", "--warmup", "200", "--fps", "5"])
    assert recorded.exit_code == 0, recorded.output
    scored = runner.invoke(app, ["accuracy", "--clips", str(tmp_path), "--json"])
    assert scored.exit_code == 0, scored.output
    report = json.loads(scored.output)["approach-south"]
    (south,) = report["approaches"]
    assert south["true_in"] >= 5 and south["max_true_queue"] >= 3, f"too little traffic to test: {south}"
    # A vehicle straddling the counting line as the clip starts or ends may fall on either side of it.
    assert abs(south["measured_in"] - south["true_in"]) <= 1
    assert abs(south["measured_out"] - south["true_out"]) <= 1
    assert report["queue_mae_vehicles"] <= 1.0
