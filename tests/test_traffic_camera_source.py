"""The virtual camera on a live SUMO run: frames, their ground truth, and the clip recorder."""
import numpy as np
import pytest

from edgesight.apps.traffic.sim.camera import PoleCamera
from edgesight.apps.traffic.sim.camera_recorder import ClipRecorder, read_truth, record_clip
from edgesight.apps.traffic.sim.camera_source import SumoCameraSource
from edgesight.apps.traffic.sim.run import SumoRun
from edgesight.apps.traffic.sim.scenario import load_scenario

CAMERA = PoleCamera.looking_at(-11.0, -40.0, 10.0, 2.0, -8.0, resolution=(480, 270), focal_px=420.0, fps=5.0)


def test_camera_source_streams_frames_with_truth_and_records_them(tmp_path):
    with SumoRun(load_scenario("unbalanced-mixed"), step_length=0.2) as run:
        for _ in range(450):  # 90 s of warm-up so queues have formed
            run.step()
            run.vehicle_states()  # the reader subscribes vehicles in the step they depart
        source = SumoCameraSource(run, CAMERA, until_s=run.time + 3.0)
        video, truth_file = tmp_path / "clip.mp4", tmp_path / "clip.jsonl"
        with ClipRecorder(video, truth_file, CAMERA.fps, CAMERA.resolution) as recorder:
            frames = []
            for frame in source:
                states = {s.id: s for s in run.vehicle_states()}
                truth = source.truth
                assert truth.seq == frame.seq and frame.media_ts == pytest.approx(run.time)
                assert set(truth.ids) == set(states)
                assert all(states[i].lane_id == lane for i, lane in zip(truth.ids, truth.lanes))
                recorder.write(frame, truth)
                frames.append(frame)
    assert [f.seq for f in frames] == list(range(15))
    assert frames[0].image.shape == (270, 480, 3)
    assert source.health().frames_read == 15
    recorded = read_truth(truth_file)
    assert len(recorded) == 15 and recorded[-1].ids == truth.ids
    np.testing.assert_allclose(recorded[-1].xyxy, truth.xyxy, atol=0.01)
    assert sum(int(t.labelled.sum()) for t in recorded) > 0, "no vehicle was in view of the camera"
    assert video.stat().st_size > 10_000


def test_camera_source_refuses_a_step_that_does_not_divide_the_frame_period():
    with SumoRun(load_scenario("surge"), step_length=0.3) as run:
        with pytest.raises(ValueError, match="step_length"):
            SumoCameraSource(run, CAMERA)


def test_record_clip_writes_video_and_truth_for_the_duration(tmp_path):
    frames = record_clip("surge", CAMERA, tmp_path / "c.avi", tmp_path / "c.jsonl", duration_s=2.0, warmup_s=30.0)
    assert frames == 10
    truth = read_truth(tmp_path / "c.jsonl")
    assert [t.seq for t in truth] == list(range(10)) and truth[0].sim_time == pytest.approx(30.2)
    assert (tmp_path / "c.avi").stat().st_size > 0
