"""The simulated line: frames agree with the ground truth beside them, parts move at belt speed, the paced source
keeps its shutter schedule, the diverter hits what is in front of it and a recording holds consistent truth."""
import asyncio
import json
import time

import cv2
import numpy as np
import pytest

from edgesight.apps.inspection.classes import CLASS_ID
from edgesight.apps.inspection.sim.clock import LineClock
from edgesight.apps.inspection.sim.conveyor import ConveyorSimulator, LineSpec
from edgesight.apps.inspection.sim.diverter import SimulatedDiverter
from edgesight.apps.inspection.sim.line_source import SimulatedLineSource
from edgesight.apps.inspection.sim.recorder import LineRecorder

PART = CLASS_ID["part"]


def test_rate_too_high_for_belt_is_refused() -> None:
    with pytest.raises(ValueError, match="raise the belt speed"):
        LineSpec(rate_hz=8.0, belt_speed_mps=0.8)


def test_parts_enter_at_the_set_rate_and_never_touch(inspection_line: ConveyorSimulator) -> None:
    passed = inspection_line.parts_passed(0.0, 0.0, 30.0)
    assert abs(len(passed) - 4.0 * 30) <= 2
    t = np.array([p.t_axis for p in passed])
    assert (np.diff(t) * inspection_line.line.speed_mm_s >= 136.0).all()
    defective = np.mean([p.spec.defective for p in passed])
    assert 0.2 < defective < 0.45


def test_pixels_change_only_where_the_truth_has_parts(inspection_camera) -> None:
    # The belt texture loops every 4 frame widths, so frames `loop` seconds apart show the same belt; rendered with
    # the same frame index (same noise and flicker) they may differ only around the parts of either frame.
    loop = inspection_camera.belt.texture.shape[1] / (inspection_camera.line.line.speed_mm_s * inspection_camera.px_per_mm)
    for t in (1.0, 1.37, 2.2):
        a, truth_a = inspection_camera.capture(t, 0)
        b, truth_b = inspection_camera.capture(t + loop, 0)
        parts = np.vstack([truth_a.xyxy[truth_a.class_id == PART], truth_b.xyxy[truth_b.class_id == PART]])
        assert len(parts)
        near = np.zeros(a.shape[:2], bool)
        for x0, y0, x1, y1 in parts.astype(int):
            near[max(y0 - 24, 0):y1 + 24, max(x0 - 24, 0):x1 + 24] = True  # shadow, blur and JPEG blocks
        diff = np.abs(a.astype(int) - b.astype(int)).max(axis=2)
        assert (diff[~near] <= 8).all()  # a part just out of view may still cast a faint shadow into it
        for x0, y0, x1, y1 in truth_a.xyxy[truth_a.class_id == PART].astype(int):
            assert diff[y0:y1, x0:x1].mean() > 10, "a part in the truth is not in the picture"


def test_parts_move_at_belt_speed_in_the_truth(inspection_camera) -> None:
    dt = 1 / 15
    _, first = inspection_camera.capture(1.5, 0)
    _, second = inspection_camera.capture(1.5 + dt, 1)
    expected = inspection_camera.line.line.speed_mm_s * dt * inspection_camera.px_per_mm
    for pid in set(first.part_id.tolist()) & set(second.part_id.tolist()):
        a = first.xyxy[(first.part_id == pid) & (first.class_id == PART)][0]
        b = second.xyxy[(second.part_id == pid) & (second.class_id == PART)][0]
        if a[0] > 0 and b[2] < inspection_camera.width:  # not cut by the frame edge
            assert abs((b[0] - a[0]) - expected) <= 1.5
            assert abs(b[1] - a[1]) <= 1.0


def test_paced_source_keeps_the_shutter_schedule_and_counts_skips(inspection_camera) -> None:
    source = SimulatedLineSource(inspection_camera, fps=20.0, seconds=0.6, pace=True)
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
        if frame.seq == 2:
            time.sleep(0.2)  # a consumer that stalls: the camera does not wait for it
    times = np.array([f.media_ts for f in frames])
    assert times[0] == 0.0 and times[-1] <= 0.6
    assert np.allclose(np.diff(np.array([f.t_capture for f in frames])), np.diff(times))
    assert source.health().frames_dropped >= 3
    assert len(frames) + source.health().frames_dropped == 13
    t, truth = source.truth(frames[-1].seq)
    assert t == frames[-1].media_ts


def test_diverter_hits_the_part_in_front_of_it(inspection_line: ConveyorSimulator) -> None:
    part = inspection_line.part(7)
    t_hit = part.time_at(inspection_line.line.diverter_mm)
    for offset, expected in ((0.0, 7), (0.03, 7), (0.12, None)):
        clock = LineClock(time.monotonic() - (t_hit + offset), time.time())
        diverter = SimulatedDiverter(inspection_line, clock, window_mm=40.0)
        asyncio.run(diverter.fire("line-7", clock.wall_at(clock.sim_now())))
        assert diverter.strokes[0].hit == expected


def test_recording_has_video_frame_and_part_truth(tmp_path, inspection_line, inspection_camera) -> None:
    source = SimulatedLineSource(inspection_camera, fps=10.0, seconds=2.0, pace=False)
    recorder = LineRecorder(tmp_path, fps=10.0, size=source.size)
    for frame in source:
        recorder.write(frame, *source.truth(frame.seq))
    parts_path = recorder.close(inspection_line, {"px_per_mm": inspection_camera.px_per_mm})
    video = cv2.VideoCapture(str(tmp_path / "video.mp4"))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 21
    lines = [json.loads(s) for s in (tmp_path / "frames.jsonl").read_text().splitlines()]
    assert len(lines) == 21 and lines[5]["t"] == 0.5
    parts = json.loads(parts_path.read_text())["parts"]
    seen = {pid for line in lines for pid in line["part_id"]}
    assert {p["part_id"] for p in parts} == seen
    for p in parts:
        assert p["t_diverter"] > p["t_axis"]
