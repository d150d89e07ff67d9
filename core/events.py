"""Event schemas: what EdgeSight publishes, as typed, versioned pydantic models, and their wire format.

An event on the wire is an `Envelope` (who, when, which stream position) around a kind-specific body
(`data`). Bodies register themselves with `@event_kind(...)`, which is the whole registry: a new kind is one
decorated class here, and publisher, consumer and store pick it up by name.

Topic: ``edgesight/<site>/<app>/<source>/<kind>`` where source is a camera or controller id (the node id for
``node_status``). Payload: UTF-8 JSON; binary fields (defect crops) are base64 JPEG, bounded in size.
"""
from __future__ import annotations

import enum
import json
import os
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

TOPIC_ROOT = "edgesight"
# A topic level that is safe everywhere: no MQTT wildcards or separators, no leading '$'.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_ID_RE = re.compile(ID_PATTERN)
MAX_CROP_BYTES = 64 * 1024  # a crop is evidence for an operator, not a frame: keep uplink messages small

Id = Annotated[str, Field(pattern=ID_PATTERN)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class Priority(enum.IntEnum):
    """Send order over a constrained uplink: all CRITICAL events leave before any BULK one."""

    CRITICAL = 0
    BULK = 1


def new_event_id() -> str:
    """A time-ordered unique id in UUIDv7 layout (48-bit Unix ms, then random bits), so ids sort by creation."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) & 0xFFF) << 64 | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def utc_now() -> datetime:
    return datetime.now(UTC)


class EventBody(BaseModel):
    """Kind-specific content. Subclasses are registered with `event_kind`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str]
    version: ClassVar[int]
    priority: ClassVar[Priority]


EVENT_KINDS: dict[str, type[EventBody]] = {}

B = TypeVar("B", bound=EventBody)


def event_kind(kind: str, *, version: int, priority: Priority):
    """Register an `EventBody` subclass under `kind` (the last topic level). Bump `version` on any change
    that an older consumer would misread; consumers reject versions newer than they know."""
    if not _ID_RE.match(kind):
        raise ValueError(f"event kind {kind!r}: not a valid topic level (letters, digits, _ . -)")

    def register(cls: type[B]) -> type[B]:
        if kind in EVENT_KINDS:
            raise ValueError(f"event kind {kind!r} is registered twice ({EVENT_KINDS[kind].__name__}, {cls.__name__})")
        cls.kind, cls.version, cls.priority = kind, version, priority
        EVENT_KINDS[kind] = cls
        return cls

    return register


class Envelope(BaseModel, Generic[B]):
    """One event as published. `seq` counts per stream (`app/source` on one node) without gaps, so a consumer
    tells a lost event (a hole) from a redelivered one (an id already seen). It is None only for the retained
    online/offline presence messages, which are not part of any stream."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: str
    v: int = Field(ge=1)
    site: Id
    node: Id
    app: Id
    source: Id
    seq: int | None = Field(ge=0)
    capture_time: AwareDatetime
    publish_time: AwareDatetime
    data: B

    @property
    def stream(self) -> str:
        """Key of the sequence this event is numbered in, unique per node."""
        return f"{self.app}/{self.source}"

    @property
    def topic(self) -> str:
        return event_topic(self.site, self.app, self.source, self.kind)

    @property
    def priority(self) -> Priority:
        return EVENT_KINDS[self.kind].priority

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


class InvalidEvent(ValueError):
    """A payload that is not an EdgeSight event this process understands; the message says why."""


def event_topic(site: str, app: str, source: str, kind: str) -> str:
    return f"{TOPIC_ROOT}/{site}/{app}/{source}/{kind}"


def site_events_filter(site: str) -> str:
    """MQTT filter for every event of a site (control topics have a different depth and never match)."""
    return f"{TOPIC_ROOT}/{site}/+/+/+"


def replay_topic(site: str, node: str) -> str:
    """Where consumers ask a node to resend retained events they found missing (see `ReplayRequest`)."""
    return f"{TOPIC_ROOT}/{site}/replay/{node}"


def deadletter_topic(site: str, consumer: str) -> str:
    return f"{TOPIC_ROOT}/{site}/deadletter/{consumer}"


def make_envelope(
    body: B,
    *,
    site: str,
    node: str,
    app: str,
    source: str,
    seq: int | None,
    capture_time: datetime,
    publish_time: datetime | None = None,
    event_id: str | None = None,
) -> Envelope[B]:
    return Envelope[type(body)](  # type: ignore[misc]
        id=event_id or new_event_id(),
        kind=body.kind,
        v=body.version,
        site=site,
        node=node,
        app=app,
        source=source,
        seq=seq,
        capture_time=capture_time,
        publish_time=publish_time or utc_now(),
        data=body,
    )


def decode_event(payload: bytes, topic: str | None = None) -> Envelope[EventBody]:
    """Parse and validate one wire payload. Raises `InvalidEvent` with a one-line reason, never anything else."""
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(f"payload is not UTF-8 JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise InvalidEvent(f"payload is a JSON {type(raw).__name__}, expected an object")
    kind = raw.get("kind")
    cls = EVENT_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InvalidEvent(f"unknown event kind {kind!r} (known: {', '.join(sorted(EVENT_KINDS))})")
    v = raw.get("v")
    if isinstance(v, int) and v > cls.version:
        raise InvalidEvent(f"{kind} schema v{v} is newer than this consumer knows (v{cls.version}): upgrade it")
    try:
        envelope = Envelope[cls].model_validate(raw)  # type: ignore[valid-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise InvalidEvent(f"{kind}: {where}: {first['msg']} ({exc.error_count()} error(s))") from None
    if topic is not None and topic != envelope.topic:
        raise InvalidEvent(f"topic {topic!r} does not match the payload (expected {envelope.topic!r})")
    return envelope


# ----------------------------------------------------------------------------------------------- kinds

class VehicleClass(enum.StrEnum):
    car = "car"
    truck = "truck"
    bus = "bus"
    motorcycle = "motorcycle"
    bicycle = "bicycle"
    person = "person"


class LaneFlow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lane: Id
    counts: dict[VehicleClass, Annotated[int, Field(ge=0)]]
    flow_veh_h: NonNegative
    occupancy: Fraction  # share of the interval the lane's detector zone was occupied
    queue_length_m: NonNegative
    mean_speed_kmh: NonNegative | None = None  # None when no vehicle passed in the interval
    # v2, optional so v1 producers stay valid: what a signal controller weighs besides the queue.
    queue_vehicles: Annotated[int, Field(ge=0)] | None = None  # stopped vehicles queued behind the stop line
    vehicles_in_zone: NonNegative | None = None  # vehicles in the lane's view at the end of the interval


@event_kind("traffic_flow", version=2, priority=Priority.BULK)
class TrafficFlow(EventBody):
    """Per-lane aggregates over one interval that ends at the envelope's capture time. v2 added the lanes'
    optional queue_vehicles and vehicles_in_zone."""

    interval_s: Annotated[float, Field(gt=0)]
    lanes: list[LaneFlow] = Field(min_length=1)


@event_kind("crossing", version=1, priority=Priority.BULK)
class Crossing(EventBody):
    """One vehicle crossing a counting line."""

    track_id: Annotated[int, Field(ge=0)]
    line: Id
    lane: Id
    vehicle_class: VehicleClass
    direction: Literal["in", "out"]
    speed_kmh: NonNegative | None = None


class SignalColour(enum.StrEnum):
    red = "red"
    red_amber = "red_amber"
    amber = "amber"
    green = "green"
    flashing_amber = "flashing_amber"
    dark = "dark"


@event_kind("signal_state", version=1, priority=Priority.BULK)
class SignalState(EventBody):
    """What the signal controller shows now; published on every change and periodically."""

    groups: dict[Id, SignalColour] = Field(min_length=1)
    phase: Id
    time_in_phase_s: NonNegative
    cycle_s: NonNegative
    plan_id: Id
    reason: str = Field(max_length=200)


@event_kind("signal_command", version=1, priority=Priority.CRITICAL)
class SignalCommand(EventBody):
    """A decision of EdgeSight's traffic logic sent to the signal controller."""

    command: Literal["hold", "extend", "advance", "go_to_phase", "set_plan"]
    phase: Id | None = None
    plan_id: Id | None = None
    duration_s: NonNegative | None = None
    reason: str = Field(max_length=200)


class Box(BaseModel):
    """Pixel box in the capture frame, x1 < x2 and y1 < y2."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x1: Annotated[int, Field(ge=0)]
    y1: Annotated[int, Field(ge=0)]
    x2: Annotated[int, Field(ge=1)]
    y2: Annotated[int, Field(ge=1)]

    @field_validator("x2", "y2")
    @classmethod
    def _positive_extent(cls, value: int, info: Any) -> int:
        low = info.data.get("x1" if info.field_name == "x2" else "y1")
        if low is not None and value <= low:
            raise ValueError(f"{info.field_name} must be greater than its lower corner ({low})")
        return value


@event_kind("defect", version=1, priority=Priority.CRITICAL)
class Defect(EventBody):
    """One defect found on one part. The crop is a small JPEG of the box for the operator's audit."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    part_id: Id
    defect_class: Id
    confidence: Fraction
    box: Box
    belt_position_mm: float
    crop_jpeg: Annotated[bytes, Field(max_length=MAX_CROP_BYTES)] | None = None

    @field_validator("crop_jpeg")
    @classmethod
    def _is_jpeg(cls, value: bytes | None) -> bytes | None:
        if value is not None and not value.startswith(b"\xff\xd8\xff"):
            raise ValueError("crop_jpeg is not a JPEG (no FFD8FF start marker)")
        return value


@event_kind("part_verdict", version=2, priority=Priority.CRITICAL)
class PartVerdict(EventBody):
    """The decision for one part, which the reject controller acts on. v2 adds the worst defect class (by the line's
    severity order) and its confidence, so an operator sees why a part failed without joining its defect events;
    both stay None on a pass."""

    part_id: Id
    verdict: Literal["pass", "reject"]
    defect_ids: list[str] = Field(default_factory=list)
    belt_position_mm: float
    reason: str = Field(default="", max_length=200)
    worst_class: Id | None = None
    worst_confidence: Fraction | None = None


@event_kind("alarm", version=1, priority=Priority.CRITICAL)
class Alarm(EventBody):
    alarm: Literal["deadline_miss", "safety_intervention", "conflict_fault", "stale_measurement"]
    severity: Literal["info", "warning", "critical"]
    text: str = Field(max_length=500)


class FrameLatency(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    frame_seq: Annotated[int, Field(ge=0)]
    stages_ms: dict[Id, NonNegative]  # stage name -> time spent in it (core.frame.STAGES order)


@event_kind("latency", version=1, priority=Priority.BULK)
class LatencyBatch(EventBody):
    """Per-stage latency of a batch of frames, published every few seconds rather than per frame."""

    frames: list[FrameLatency] = Field(min_length=1, max_length=1000)


@event_kind("node_status", version=1, priority=Priority.BULK)
class NodeStatus(EventBody):
    """Presence (retained `online`/`offline`, unsequenced) and periodic `heartbeat`. A heartbeat carries, per
    stream, the last sequence number the node assigned, so a consumer sees a loss even at a stream's tail."""

    state: Literal["online", "offline", "heartbeat"]
    uptime_s: NonNegative = 0.0
    streams: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    outbox_pending: Annotated[int, Field(ge=0)] = 0
    shed_total: Annotated[int, Field(ge=0)] = 0


@event_kind("camera_status", version=1, priority=Priority.BULK)
class CameraStatus(EventBody):
    """A camera's health as its pipeline sees it, every few seconds: what the operator's overview shows."""

    state: Literal["connected", "reconnecting", "failed", "ended"]
    fps: NonNegative  # frames through the pipeline per second over the last period
    frames: Annotated[int, Field(ge=0)]  # through the pipeline since start
    frames_dropped: Annotated[int, Field(ge=0)]  # stale live frames dropped (source and pipeline)
    reconnects: Annotated[int, Field(ge=0)] = 0
    last_error: str | None = Field(default=None, max_length=300)


class ReplayRequest(BaseModel):
    """Payload on `replay_topic`: resend these sequence numbers of one stream if still retained."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stream: str
    ranges: list[tuple[int, int]] = Field(min_length=1, max_length=1000)  # inclusive [first, last]
    requester: str
