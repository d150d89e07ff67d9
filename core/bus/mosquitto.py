"""A private Mosquitto process on a loopback port, for the bus benchmark and the tests: started from the
system binary with persistence on, killable (-9) and restartable on the same port with the same state."""
from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class MosquittoTLS:
    ca_file: Path
    cert_file: Path
    key_file: Path
    require_client_cert: bool = False


class MosquittoProcess:
    """`start()`, `kill()` (SIGKILL, no clean save), `restart()` (same port, same persistence folder), `stop()`.

    `max_queued_messages` is Mosquitto's per-client queue for offline or slow persistent clients; past it,
    QoS 1 messages for that client are dropped ("Outgoing messages are being dropped" in `log_text()`).
    `autosave_interval` (s) bounds what a kill -9 loses from the broker's own store."""

    def __init__(
        self,
        workdir: Path,
        *,
        port: int | None = None,
        max_queued_messages: int = 100_000,
        autosave_interval: int = 1,
        users: dict[str, str] | None = None,
        tls: MosquittoTLS | None = None,
        binary: str | None = None,
    ) -> None:
        found = binary or shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
        if found is None:
            raise FileNotFoundError("mosquitto binary not found on PATH or in /usr/sbin; install the mosquitto package")
        self.binary = found
        self.workdir = workdir
        self.port = port or free_port()
        self.tls = tls
        self.users = users or {}
        self.max_queued_messages = max_queued_messages
        self.autosave_interval = autosave_interval
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / "mosquitto.log"
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "data").mkdir(exist_ok=True)
        self.config_path = self._write_config()

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        lines = [
            f"listener {self.port} 127.0.0.1",
            "persistence true",
            f"persistence_location {self.workdir / 'data'}/",
            f"autosave_interval {self.autosave_interval}",
            f"max_queued_messages {self.max_queued_messages}",
            "max_inflight_messages 100",
            # Run as whoever started us: as root Mosquitto would switch to user "mosquitto", which cannot
            # write the persistence folder we created.
            f"user {getpass.getuser()}",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
        ]
        if self.users:
            password_file = self.workdir / "passwords"
            password_file.write_text("".join(f"{user}:{password}\n" for user, password in self.users.items()))
            # mosquitto_passwd -U hashes a plain "user:password" file in place.
            subprocess.run([shutil.which("mosquitto_passwd") or "mosquitto_passwd", "-U", str(password_file)], check=True)
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        else:
            lines.append("allow_anonymous true")
        if self.tls:
            lines += [f"cafile {self.tls.ca_file}", f"certfile {self.tls.cert_file}", f"keyfile {self.tls.key_file}"]
            if self.tls.require_client_cert:
                lines.append("require_certificate true")
        path = self.workdir / "mosquitto.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self, timeout: float = 10.0) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([self.binary, "-c", str(self.config_path)], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.process.returncode} on port {self.port}: {self.log_text()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"mosquitto did not listen on port {self.port} within {timeout} s")

    def kill(self) -> None:
        """SIGKILL: no final save, like a power cut of the broker process."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        """SIGTERM: Mosquitto saves its persistence file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        # The kernel may hold the port for a moment after the kill; start() retries until it listens.
        self.start()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> MosquittoProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
