"""Per-stage latency reaches Prometheus: /metrics on a real HTTP port after a real pipeline run."""
import socket
import urllib.request
from pathlib import Path

from edgesight.core.detect import Detector
from edgesight.core.metrics import LatencyRecorder
from edgesight.core.pipeline import Pipeline
from edgesight.core.sources import open_source

MODELS = Path(__file__).parent / "models"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_metrics_endpoint_exposes_stage_histograms(mp4v_video):
    port = free_port()
    latency = LatencyRecorder()
    latency.serve(port, addr="127.0.0.1")
    Pipeline([open_source(str(mp4v_video.path), source_id="cam1", pace=False)],
             Detector(MODELS / "yolov8_layout.onnx"), latency=latency).run()
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for stage in ("decode", "queue", "preprocess", "infer", "track", "emit", "end_to_end"):
        assert f'edgesight_stage_latency_seconds_count{{camera="cam1",stage="{stage}"}} {mp4v_video.frames}.0' in text
    assert f'edgesight_frames_total{{camera="cam1"}} {mp4v_video.frames}.0' in text
    assert 'edgesight_frames_dropped{camera="cam1"} 0.0' in text
