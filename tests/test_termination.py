"""SIGTERM (systemd stop, docker stop, kill) stops a command as Ctrl-C does: its private Mosquitto, its temporary
folder and its worker processes go with it, instead of running on as orphans."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from edgesight.core.termination import SIGTERM_EXIT_CODE

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")


def _children(pid: int) -> dict[int, str]:
    """Child pid -> command line, from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])  # "pid (comm) state ppid ..."
            if parent == pid:
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while we looked
    return found


def _wait_for(condition: Callable[[], dict[int, str]], process: subprocess.Popen, log: Path,
              timeout: float) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        if process.poll() is not None:
            pytest.fail(f"the command ended before the test could stop it:\n{log.read_text()}")
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"nothing to stop appeared within {timeout} s")


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"  # ended, waiting for a parent that is gone itself to be reaped by init


def _command(log: Path, *args: str) -> subprocess.Popen:
    """The command's output goes to a file: a pipe would stay open as long as any orphan holds it."""
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "edgesight.core.cli", *args], stdout=out,
                                stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_sigterm_stops_an_inspection_evaluation_with_its_private_broker_and_folder(tmp_path: Path) -> None:
    log = tmp_path / "evaluate.log"
    process = _command(log, "inspection", "evaluate", "--rate", "4", "--seconds", "120", "--seed", "1",
                       "--threads", "1")
    brokers = _wait_for(lambda: {pid: cmd for pid, cmd in _children(process.pid).items() if "mosquitto" in cmd},
                        process, log, timeout=60)
    (broker, command), = brokers.items()
    config = Path(command.split(" -c ", 1)[1].split()[0])  # <eval folder>/mosquitto/mosquitto.conf
    time.sleep(2)  # into the run: detector loaded, frames flowing
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == SIGTERM_EXIT_CODE, log.read_text()
    assert _gone(broker)
    assert not config.parent.parent.exists()


@pytest.mark.slow
def test_sigterm_stops_a_traffic_evaluation_and_its_simulation_workers(tmp_path: Path) -> None:
    log = tmp_path / "evaluate.log"
    process = _command(log, "traffic", "evaluate", "--scenario", "unbalanced", "--controller", "max-pressure",
                       "--seeds", "2", "--workers", "2", "--no-cameras", "--exact")
    workers = _wait_for(lambda: found if len(found := _children(process.pid)) >= 2 else {}, process, log,
                        timeout=60)
    time.sleep(2)  # both simulations under way
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == SIGTERM_EXIT_CODE, log.read_text()
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(_gone(pid) for pid in workers), f"still running: {workers}"
