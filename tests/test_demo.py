"""The README's main command: the whole demo on one machine, stopped with Ctrl-C, leaves every part's events in
the store."""
import signal
import sqlite3
import subprocess
import sys
import time

import pytest


@pytest.mark.slow
def test_demo_runs_every_part_and_stops_cleanly_on_ctrl_c(tmp_path):
    workdir = tmp_path / "demo"
    process = subprocess.Popen([sys.executable, "-m", "edgesight.core.cli", "demo", "--no-dashboard",
                                "--workdir", str(workdir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    time.sleep(45)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output[-3000:]
    assert "stopped:" in output and "Traceback" not in output, output[-3000:]
    with sqlite3.connect(workdir / "edgesight.sqlite") as db:
        kinds = dict(db.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall())
        stored = sum(kinds.values())
        latency_rows = db.execute("SELECT COUNT(*) FROM latency_samples").fetchone()[0]
    for kind in ("traffic_flow", "part_verdict", "latency", "camera_status", "node_status"):
        assert kinds.get(kind, 0) > 0, kinds
    assert latency_rows > 0
    assert f"stopped: {stored} events stored" in output, "the ingest stored everything it reported"
