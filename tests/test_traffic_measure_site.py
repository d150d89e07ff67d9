"""Site configs: validation errors that point at the bad key, the bundled site files, and the preview."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from edgesight.apps.traffic.cli import app

from edgesight.apps.traffic.measure.ground_plane import GroundPlane
from edgesight.apps.traffic.measure.site import SiteConfig
from edgesight.apps.traffic.sim.camera import PoleCamera
from edgesight.apps.traffic.sim.camera_site import site_config_for
from edgesight.apps.traffic.sim.cameras import approach_camera
from edgesight.apps.traffic.sim.render_layout import IntersectionLayout

SITES = Path(__file__).resolve().parents[1] / "apps" / "traffic" / "sites"
GOOD = {
    "name": "t",
    "image_size": [200, 100],
    "ground_plane": {"image": [[0, 0], [200, 0], [200, 100], [0, 100]], "world": [[0, 0], [20, 0], [20, -10], [0, -10]]},
    "approaches": [{"name": "south", "bearing_deg": 180}],
    "lanes": [{"name": "a", "approach": "south", "polygon": [[0, 0], [100, 0], [100, 100], [0, 100]]}],
    "lines": [{"name": "c", "start": [0, 50], "end": [200, 50], "in_towards": [100, 10]},
              {"name": "s", "kind": "stop", "approach": "south", "start": [0, 20], "end": [100, 20]}],
}


def write(tmp_path, data) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def broken(**changes):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    for key, value in changes.items():
        target = data
        *parents, leaf = key.split(".")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[leaf] = value
    return data


def test_good_site_loads(tmp_path):
    assert SiteConfig.load(write(tmp_path, GOOD)).lanes[0].name == "a"


@pytest.mark.parametrize("changes, where", [
    ({"lanes.0.polygon": [[0, 0], [10, 0]]}, "lanes.0.polygon"),
    ({"lanes.0.approach": "north"}, "lanes.0.approach"),
    ({"lanes.0.polygon": [[0, 0], [300, 0], [100, 100]]}, "lanes.0.polygon.1"),
    ({"lines.0.in_towards": None}, "lines.0"),
    ({"lines.1.approach": None}, "lines.1"),
    ({"ground_plane.world": [[0, 0], [1, 1], [2, 2], [0, 5]]}, "ground_plane"),
    ({"lanes.0.colour": "red"}, "lanes.0.colour"),
])
def test_bad_site_names_the_key(tmp_path, changes, where):
    with pytest.raises(ValueError) as err:
        SiteConfig.load(write(tmp_path, broken(**changes)))
    message = str(err.value)
    assert message.startswith("site site.yaml: ") and where in message and "\n" not in message


def test_missing_site_file_says_what_to_pass(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        SiteConfig.load(tmp_path / "nope.yaml")


@pytest.mark.parametrize("path", sorted(SITES.glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_sites_load(path):
    SiteConfig.load(path)


def test_sim_site_ground_plane_agrees_with_the_camera():
    camera = PoleCamera.looking_at(-11.0, -40.0, 10.0, 2.0, -8.0, focal_px=1120.0)
    config = SiteConfig.model_validate(site_config_for(camera, IntersectionLayout(), "sim-south"))
    pixels = np.array([[640.0, 600.0], [300.0, 500.0], [1000.0, 450.0]])
    np.testing.assert_allclose(GroundPlane(config.ground_plane).to_metres(pixels), camera.pixel_to_ground(pixels), atol=0.02)
    assert SiteConfig.load(SITES / "sim-south.yaml") == config


def test_approach_site_can_count_each_direction_on_its_own_line():
    camera = approach_camera("south")
    config = SiteConfig.model_validate(site_config_for(camera, IntersectionLayout(), "approach-south", lane_reach_m=100.0,
                                                       count_line_m=8.0, count_out_line_m=25.0))
    lines = {line.name: line for line in config.lines if line.kind == "count"}
    assert set(lines) == {"south_count_in", "south_count_out"}
    assert (lines["south_count_in"].counts, lines["south_count_out"].counts) == ("in", "out")
    assert lines["south_count_in"].approach == lines["south_count_out"].approach == "south"
    # The camera looks upstream from the stop line: the line farther up the arm is higher in the picture.
    ground = GroundPlane(config.ground_plane)
    beyond_stop = {name: -ground.to_metres(np.array([line.start, line.end], dtype=float))[:, 1].mean()
                   for name, line in lines.items()}
    assert beyond_stop["south_count_out"] - beyond_stop["south_count_in"] == pytest.approx(17.0, abs=0.5)


def test_preview_draws_the_site_over_a_frame(tmp_path):
    image = np.full((100, 200, 3), 90, np.uint8)
    cv2.imwrite(str(tmp_path / "frame.png"), image)
    out = tmp_path / "preview.png"
    result = CliRunner().invoke(app, ["site-preview", "--site", str(write(tmp_path, GOOD)), "--source",
                                      str(tmp_path / "frame.png"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    drawn = cv2.imread(str(out))
    assert drawn.shape == image.shape and (drawn != image).any()


def test_motorway_site_preview_on_the_real_clip(realdata, tmp_path):
    out = tmp_path / "motorway.png"
    result = CliRunner().invoke(app, ["site-preview", "--site", str(SITES / "motorway-bgslibrary-video02.yaml"),
                                      "--source", str(realdata / "traffic" / "videos" / "bgslibrary_video02.avi"),
                                      "--out", str(out), "--frame", "100"])
    assert result.exit_code == 0, result.output
    assert cv2.imread(str(out)).shape == (240, 320, 3)
