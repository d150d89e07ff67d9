"""Pipeline telemetry over a real broker: per-stage latency batches and camera health reach a consumer."""
import asyncio
from pathlib import Path

from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.detect import Detector
from edgesight.core.events import CameraStatus, LatencyBatch
from edgesight.core.pipeline import Pipeline
from edgesight.core.sources import open_source
from edgesight.core.telemetry import TelemetryRecorder

MODELS = Path(__file__).parent / "models"


def test_latency_batches_and_camera_status_reach_the_consumer(mosquitto, bus_config, mp4v_video, tmp_path):
    async def scenario():
        received = []
        async with (EventPublisher(bus_config(mosquitto, node="edge")) as publisher,
                    EventConsumer(bus_config(mosquitto, node="obs"), name="obs", state_path=tmp_path / "o.sqlite")
                    as consumer):
            source = open_source(str(mp4v_video.path), source_id="cam1", pace=False)
            telemetry = TelemetryRecorder(publisher, asyncio.get_running_loop(), "traffic", [source], every_s=0.2)
            pipeline = Pipeline([source], Detector(MODELS / "yolov8_layout.onnx"), latency=telemetry)
            await asyncio.get_running_loop().run_in_executor(None, pipeline.run)
            telemetry.flush()
            await telemetry.wait_sent()
            assert await publisher.drain(timeout=10)
            while not any(isinstance(e.data, CameraStatus) and e.data.frames == mp4v_video.frames for e in received):
                received.extend(await asyncio.wait_for(consumer.next_batch(), timeout=10))
        return received

    events = asyncio.run(scenario())
    batches = [e for e in events if isinstance(e.data, LatencyBatch)]
    seqs = sorted(f.frame_seq for e in batches for f in e.data.frames)
    assert seqs == list(range(mp4v_video.frames)), "every frame's latency arrives exactly once"
    assert {"infer", "end_to_end"} <= set(batches[0].data.frames[0].stages_ms)
    status = [e.data for e in events if isinstance(e.data, CameraStatus)][-1]
    assert status.frames == mp4v_video.frames and status.frames_dropped == 0
    assert all(e.source == "cam1" and e.app == "traffic" for e in batches)
