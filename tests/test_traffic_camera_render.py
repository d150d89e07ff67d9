"""The virtual pole camera: projection geometry, ground-truth boxes of rendered bodies, occlusion, and the
synthetic data-set command."""
import math

import cv2
import numpy as np
import pytest
import yaml

from edgesight.apps.traffic.sim.camera import PoleCamera
from edgesight.apps.traffic.sim.dataset import main as dataset_main
from edgesight.apps.traffic.sim.render_bodies import BUS, CAR, body_parts
from edgesight.apps.traffic.sim.render_layout import IntersectionLayout
from edgesight.apps.traffic.sim.render_lighting import Lighting
from edgesight.apps.traffic.sim.render_vehicle import VehicleRenderer, Vehicles


def test_camera_ground_homography_agrees_with_point_projection():
    camera = PoleCamera.looking_at(-10.0, -40.0, 9.0, 0.0, 0.0)
    ground = np.array([[0.0, 0.0], [3.2, -20.0], [-6.0, 10.0]])
    uv, depth = camera.project(np.column_stack([ground, np.zeros(3)]))
    via_h = cv2.perspectiveTransform(ground[None], camera.ground_homography())[0]
    assert np.all(depth > 0)
    np.testing.assert_allclose(via_h, uv, atol=1e-6)
    np.testing.assert_allclose(camera.pixel_to_ground(uv), ground, atol=1e-6)


def test_camera_looking_at_puts_the_target_in_the_image_centre():
    camera = PoleCamera.looking_at(5.0, -30.0, 10.0, 0.0, 0.0, resolution=(640, 480))
    uv, _ = camera.project(np.array([[0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(uv[0], [320, 240], atol=1e-6)
    assert math.isclose(camera.heading_deg, math.degrees(math.atan2(-5, 30)) % 360)


def test_camera_rejects_a_lens_below_the_road():
    with pytest.raises(ValueError, match="height_m"):
        PoleCamera(0.0, 0.0, height_m=0.0)


def _one(class_id: int, xy: tuple[float, float], size: tuple[float, float, float], heading: float = 0.0, seed: int = 1) -> Vehicles:
    return Vehicles(np.array([0]), np.array([class_id]), np.array([xy], float), np.array([heading]), np.array([size]), np.array([seed]))


def test_renderer_box_is_the_projected_body_box():
    camera = PoleCamera.looking_at(-8.0, -30.0, 8.0, 0.0, 0.0)
    vehicles = _one(CAR, (1.6, 2.0), (4.5, 1.8, 1.5), heading=10.0)
    image = np.full((camera.height, camera.width, 3), 90, np.uint8)
    truth = VehicleRenderer().draw(image, camera, vehicles, Lighting())

    a = math.radians(10.0)
    fwd, left = np.array([math.sin(a), math.cos(a)]), np.array([-math.cos(a), math.sin(a)])
    corners = np.concatenate([p.corners() for p in body_parts(CAR, 4.5, 1.8, 1.5, 1)])
    world = np.column_stack([vehicles.xy[0] + corners[:, :1] * fwd + corners[:, 1:2] * left, corners[:, 2]])
    uv, _ = camera.project(world)
    expected = np.concatenate([uv.min(axis=0), uv.max(axis=0)])
    np.testing.assert_allclose(truth.xyxy[0], expected, atol=1e-3)
    assert truth.visibility[0] > 0.8
    # The body was actually painted where the box says.
    x0, y0, x1, y1 = expected.astype(int)
    assert np.abs(image[y0:y1, x0:x1].astype(int) - 90).sum(axis=2).astype(bool).mean() > 0.3


def test_car_hidden_behind_a_bus_loses_its_label():
    camera = PoleCamera.looking_at(0.0, -40.0, 3.0, 0.0, 0.0)
    vehicles = Vehicles(np.array([0, 1]), np.array([BUS, CAR]), np.array([[0.0, -14.0], [0.0, -3.0]]), np.array([0.0, 0.0]),
                        np.array([[12.0, 2.55, 3.2], [4.2, 1.7, 1.45]]), np.array([3, 4]))
    image = np.zeros((camera.height, camera.width, 3), np.uint8)
    truth = VehicleRenderer().draw(image, camera, vehicles, Lighting())
    labelled = truth.labelled()
    assert labelled[0] and not labelled[1]
    assert truth.visibility[1] < 0.1


def test_layout_lanes_end_at_the_stop_line_and_turns_join_the_exit_lanes():
    layout = IntersectionLayout()
    lane = layout.entry_lane("north", 0)
    assert math.isclose(lane.length, layout.arm_length_m - layout.stop_line_m)
    _, heading = lane.pose_at([10.0])
    assert math.isclose(heading[0], 180.0)  # arriving from the north means driving south
    movements = {(c.entry_arm, c.exit_arm): c.movement for c in layout.connections()}
    assert movements[("north", "west")] == "right" and movements[("north", "east")] == "left"
    assert movements[("north", "south")] == "through"


def test_layout_matches_the_bundled_sumo_network():
    sumolib = pytest.importorskip("sumolib")
    from edgesight.apps.traffic.sim.scenario import SCENARIO_DIR

    net = sumolib.net.readNet(str(SCENARIO_DIR / "intersection.net.xml"))
    layout = IntersectionLayout()
    for arm in layout.arms:
        for lane in range(layout.lanes_per_direction):
            for path in (layout.entry_lane(arm, lane), layout.exit_lane(arm, lane)):
                sumo_lane = net.getLane(path.name)
                np.testing.assert_allclose(path.points, np.array(sumo_lane.getShape()), atol=0.05, err_msg=path.name)
                assert sumo_lane.getWidth() == pytest.approx(layout.lane_width_m)


def test_dataset_command_writes_yolo_splits_with_a_held_out_test_pose(tmp_path):
    dataset_main(["--out", str(tmp_path), "--train", "2", "--val", "1", "--test", "1", "--workers", "1"])
    data = yaml.safe_load((tmp_path / "data.yaml").read_text())
    assert data["names"] == {0: "car", 1: "bus", 2: "truck", 3: "motorcycle"}
    meta = yaml.safe_load((tmp_path / "generation.yaml").read_text())
    assert meta["split_seeds"]["test"] not in (meta["split_seeds"]["train"], meta["split_seeds"]["val"])
    assert meta["test_pose"]["height_m"] > 12.0
    labels = sorted((tmp_path / "labels" / "train").glob("*.txt"))
    assert len(labels) == 2 and sum(len(p.read_text().splitlines()) for p in labels) > 0
    image = cv2.imread(str(tmp_path / "images" / "test" / "000000.jpg"))
    assert image.shape == (720, 1280, 3)
