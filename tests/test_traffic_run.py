"""`edgesight traffic run` as a user runs it: a real process on real video with a COCO-pretrained detector,
events through a real Mosquitto to a subscriber, the counts it prints at the end."""
import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.events import Crossing, TrafficFlow

SITES = Path(__file__).resolve().parents[1] / "apps" / "traffic" / "sites"
EDGESIGHT = [sys.executable, "-m", "edgesight.core.cli"]
# Watched frame by frame on the clip: 22 vehicles drive away over the counting line (9 median side, 13 kerb
# side, one of them an articulated lorry) and 19 come towards the camera over the other one.
SEEN_AWAY, SEEN_TOWARDS = 22, 19


def printed_counts(stdout: str) -> dict[tuple[str, str], int]:
    return {(line, direction): int(n) for line, direction, n in re.findall(r"^(\w+_count)\s+(in|out)\s+(\d+)", stdout, re.M)}


@pytest.mark.slow
def test_counts_the_real_motorway_clip_per_direction_and_publishes_every_crossing(
        realdata: Path, mosquitto, bus_config, tmp_path: Path) -> None:
    async def scenario() -> tuple[int, str, str, list]:
        events = []
        async with EventConsumer(bus_config(mosquitto, node="obs"), name="obs", state_path=tmp_path / "obs.sqlite") as observer:
            async def collect() -> None:
                async for batch in observer.batches():
                    events.extend(batch)

            collecting = asyncio.create_task(collect())
            process = await asyncio.create_subprocess_exec(
                *EDGESIGHT, "traffic", "run", "--source", str(realdata / "traffic" / "videos" / "bgslibrary_video02.avi"),
                "--model", str(realdata / "detector" / "yolox_nano_416_coco.onnx"),
                "--site", str(SITES / "motorway-bgslibrary-video02.yaml"), "--broker", mosquitto.url,
                "--outbox", str(tmp_path / "outbox.sqlite"), "--no-pace", "--camera", "cam-a1",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=300)
            await asyncio.sleep(1.0)
            collecting.cancel()
        return process.returncode, stdout.decode(), stderr.decode(), events

    code, stdout, stderr, events = asyncio.run(scenario())
    assert code == 0, stderr
    counts = printed_counts(stdout)
    # The detector never finds the lorry close to the camera; every car is counted once.
    assert SEEN_AWAY - 2 <= counts[("away_count", "out")] <= SEEN_AWAY
    assert SEEN_TOWARDS - 2 <= counts[("towards_count", "in")] <= SEEN_TOWARDS + 1
    crossings = [e for e in events if isinstance(e.data, Crossing)]
    flows = [e for e in events if isinstance(e.data, TrafficFlow)]
    assert len(crossings) == sum(counts.values())
    assert all(e.source == "cam-a1" and e.app == "traffic" for e in crossings + flows)
    # 30 s at one event per 10 s: the first frame's, two full intervals and the last 10 s at the end.
    assert len(flows) == 4
    assert {lane.lane for lane in flows[-1].data.lanes} == {"away_fast", "away_slow", "towards_fast", "towards_slow"}
    assert all(lane.vehicles_in_zone is not None for e in flows for lane in e.data.lanes)
    assert sum(lane.counts.get("car", 0) for e in flows for lane in e.data.lanes) == sum(counts.values())


def test_a_site_drawn_for_another_camera_is_a_one_line_error(mp4v_video) -> None:
    result = subprocess.run([*EDGESIGHT, "traffic", "run", "--source", str(mp4v_video.path), "--site",
                             str(SITES / "sim-south.yaml"), "--no-pace"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "drawn for 1280x720" in result.stderr and "320x240" in result.stderr
    assert "Traceback" not in result.stderr
