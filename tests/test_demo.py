"""The README's main command: the whole demo on one machine, stopped with Ctrl-C, leaves every part's events in
the store."""
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

KINDS = ("traffic_flow", "part_verdict", "latency", "camera_status", "node_status")


def _stored(workdir) -> tuple[dict[str, int], int]:
    """Events stored per kind, and latency rows."""
    with sqlite3.connect(workdir / "edgesight.sqlite") as db:
        kinds = dict(db.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall())
        return kinds, db.execute("SELECT COUNT(*) FROM latency_samples").fetchone()[0]


def _every_kind_stored(workdir) -> bool:
    if not (workdir / "edgesight.sqlite").is_file():
        return False
    try:
        kinds, latency_rows = _stored(workdir)
    except sqlite3.OperationalError:  # the ingest has not created its tables yet, or holds a write lock
        return False
    return latency_rows > 0 and all(kinds.get(kind, 0) > 0 for kind in KINDS)


@pytest.mark.slow
def test_demo_runs_every_part_and_stops_cleanly_on_ctrl_c(tmp_path):
    workdir = tmp_path / "demo"
    process = subprocess.Popen([sys.executable, "-m", "edgesight.core.cli", "demo", "--no-dashboard",
                                "--workdir", str(workdir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    # Stop as soon as every part has stored an event (the flow interval is 10 s), not after a fixed wait that is
    # too long on a fast machine and may be too short on a loaded one.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and not _every_kind_stored(workdir):
        time.sleep(1)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output[-3000:]
    assert "stopped:" in output and "Traceback" not in output, output[-3000:]
    kinds, latency_rows = _stored(workdir)
    for kind in KINDS:
        assert kinds.get(kind, 0) > 0, kinds
    assert latency_rows > 0
    stored = sum(kinds.values())
    assert f"stopped: {stored} events stored" in output, "the ingest stored everything it reported"
