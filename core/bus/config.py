"""The bus section of the site config: which broker, who we are on it, and how the outbox behaves."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..events import ID_PATTERN

Id = Annotated[str, Field(pattern=ID_PATTERN)]


class TLSConfig(BaseModel):
    """TLS towards the broker. `ca_file` verifies the broker; `cert_file`+`key_file` authenticate us to it."""

    model_config = ConfigDict(extra="forbid")

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None
    check_hostname: bool = True

    @model_validator(mode="after")
    def _pair(self) -> TLSConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("bus.tls: cert_file and key_file go together; set both for a client certificate or neither")
        return self


class RateLimitConfig(BaseModel):
    """Token bucket over payload bytes, for a constrained uplink."""

    model_config = ConfigDict(extra="forbid")

    bytes_per_s: Annotated[float, Field(gt=0)]
    burst_bytes: Annotated[int, Field(gt=0)] = 64 * 1024


class OutboxConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path = Path("edgesight-outbox.sqlite")
    # Unsent events kept on disk; past it, the oldest bulk telemetry is shed (critical events never are).
    max_pending: Annotated[int, Field(gt=0)] = 200_000
    # Sent events among the last `replay_retention` queued are kept, so that a consumer that lost some (broker
    # crash, dropped queue) can ask for a resend.
    replay_retention: Annotated[int, Field(ge=0)] = 100_000
    # "normal" (WAL, no fsync per commit) survives a crash or kill -9 of the process and a broker outage;
    # "full" also survives a power cut of the box, at one fsync per group commit (slow on eMMC/SD cards).
    synchronous: Literal["full", "normal"] = "normal"


class BusConfig(BaseModel):
    """`broker_url` None means: start the embedded broker (amqtt) on localhost, nothing to install."""

    model_config = ConfigDict(extra="forbid")

    site_id: Id
    node_id: Id
    broker_url: str | None = None  # mqtt://host:1883 or mqtts://host:8883
    embedded_port: Annotated[int, Field(ge=0, le=65535)] = 1883
    client_id: Id | None = None  # stable per process role; default "<node_id>-pub"
    username: str | None = None
    password: str | None = None
    tls: TLSConfig | None = None
    protocol: Literal["5", "3.1.1"] = "5"
    session_expiry_s: Annotated[int, Field(ge=0)] = 24 * 3600
    keepalive_s: Annotated[int, Field(ge=5)] = 30
    max_inflight: Annotated[int, Field(ge=1, le=65535)] = 64
    publish_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    reconnect_min_s: Annotated[float, Field(gt=0)] = 0.2
    reconnect_max_s: Annotated[float, Field(gt=0)] = 30.0
    heartbeat_s: Annotated[float, Field(gt=0)] = 10.0
    rate_limit: RateLimitConfig | None = None
    outbox: OutboxConfig = OutboxConfig()

    @field_validator("broker_url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"bus.broker_url {url!r}: expected mqtt://host[:port] or mqtts://host[:port]")
        return url

    @model_validator(mode="after")
    def _consistent(self) -> BusConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("bus.reconnect_max_s is below bus.reconnect_min_s; raise it or lower the minimum")
        if self.broker_url and urlsplit(self.broker_url).scheme == "mqtts" and self.tls is None:
            raise ValueError("bus.broker_url is mqtts:// but bus.tls is not set; add bus.tls.ca_file")
        return self

    @property
    def host(self) -> str:
        return urlsplit(self.broker_url).hostname if self.broker_url else "127.0.0.1"  # type: ignore[return-value]

    @property
    def port(self) -> int:
        if not self.broker_url:
            return self.embedded_port
        parts = urlsplit(self.broker_url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)
