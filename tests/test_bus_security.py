"""Username/password and TLS (server and client certificates) against a real Mosquitto; wrong credentials
and untrusted certificates fail at once with a clear `BrokerRefused`, not in a silent retry loop."""
from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest

from edgesight.core.bus.config import TLSConfig
from edgesight.core.bus.connection import BrokerRefused
from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.mosquitto import MosquittoTLS
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import Alarm


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(folder: Path, name: str) -> None:
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN={name}", cwd=folder)


def make_cert(folder: Path, name: str, ca: str, san: str | None = None) -> None:
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=folder)
    extra: list[str] = []
    if san:
        (folder / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        extra = ["-extfile", f"{name}.ext"]
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", *extra, cwd=folder)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA with a broker certificate for 127.0.0.1 and a client certificate, plus an unrelated CA."""
    folder = tmp_path_factory.mktemp("pki")
    make_ca(folder, "ca")
    make_ca(folder, "rogue-ca")
    make_cert(folder, "broker", "ca", san="IP:127.0.0.1")
    make_cert(folder, "n1", "ca")
    return folder


async def round_trip(config, tmp_path: Path) -> str:
    """Publish one alarm and read it back through a consumer; returns its text."""
    async with EventConsumer(config, name="sec-consumer", state_path=tmp_path / "c.sqlite", replay=False) as consumer, \
            EventPublisher(config) as publisher:
        await publisher.publish(Alarm(alarm="deadline_miss", severity="info", text="secure"), app="traffic", source="cam1")
        while True:
            for event in await asyncio.wait_for(consumer.next_batch(), 10):
                if event.kind == "alarm":
                    return event.data.text


def test_password_login_works_and_a_wrong_one_fails_clearly(mosquitto_factory, bus_config, tmp_path: Path) -> None:
    broker = mosquitto_factory(users={"edge": "s3cret"})
    assert asyncio.run(round_trip(bus_config(broker, username="edge", password="s3cret"), tmp_path)) == "secure"

    start = time.monotonic()
    with pytest.raises(BrokerRefused, match=r"refused client 'n1-pub'.*(Bad user name or password|Not authorized).*check bus.username"):
        asyncio.run(EventPublisher(bus_config(broker, username="edge", password="wrong")).__aenter__())
    with pytest.raises(BrokerRefused, match="refused client 'c'"):
        asyncio.run(EventConsumer(bus_config(broker, username="edge", password="wrong"), name="c",
                                  state_path=tmp_path / "x.sqlite").__aenter__())
    assert time.monotonic() - start < 5, "a refused login must not be retried"


def test_tls_with_client_certificate(mosquitto_factory, bus_config, pki: Path, tmp_path: Path) -> None:
    broker = mosquitto_factory(tls=MosquittoTLS(pki / "ca.crt", pki / "broker.crt", pki / "broker.key", require_client_cert=True))
    good = TLSConfig(ca_file=pki / "ca.crt", cert_file=pki / "n1.crt", key_file=pki / "n1.key")
    assert broker.url.startswith("mqtts://")
    assert asyncio.run(round_trip(bus_config(broker, tls=good), tmp_path)) == "secure"


def test_untrusted_broker_certificate_fails_clearly(mosquitto_factory, bus_config, pki: Path) -> None:
    broker = mosquitto_factory(tls=MosquittoTLS(pki / "ca.crt", pki / "broker.crt", pki / "broker.key"))
    rogue = TLSConfig(ca_file=pki / "rogue-ca.crt")
    with pytest.raises(BrokerRefused, match="certificate is not trusted.*bus.tls.ca_file"):
        asyncio.run(EventPublisher(bus_config(broker, tls=rogue)).__aenter__())


def test_missing_client_certificate_fails_clearly(mosquitto_factory, bus_config, pki: Path) -> None:
    broker = mosquitto_factory(tls=MosquittoTLS(pki / "ca.crt", pki / "broker.crt", pki / "broker.key", require_client_cert=True))
    start = time.monotonic()
    with pytest.raises(BrokerRefused, match="TLS"):
        asyncio.run(EventPublisher(bus_config(broker, tls=TLSConfig(ca_file=pki / "ca.crt"))).__aenter__())
    assert time.monotonic() - start < 8


def test_missing_certificate_file_is_named(bus_config, mosquitto, tmp_path: Path) -> None:
    with pytest.raises(BrokerRefused, match=r"bus.tls.ca_file .*nope.pem does not exist"):
        asyncio.run(EventPublisher(bus_config(mosquitto, tls=TLSConfig(ca_file=tmp_path / "nope.pem"))).__aenter__())
