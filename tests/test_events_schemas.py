"""Event schemas: the wire format round-trips, ids sort by time, bad payloads get one-line reasons, and
the registry is what a new kind plugs into."""
from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, strategies as st

from edgesight.core.events import (
    EVENT_KINDS, MAX_CROP_BYTES, Box, Defect, EventBody, InvalidEvent, NodeStatus, Priority, SignalCommand,
    TrafficFlow, LaneFlow, decode_event, event_kind, make_envelope, new_event_id, utc_now,
)


def wrap(body: EventBody, seq: int | None = 0):
    return make_envelope(body, site="site1", node="n1", app="traffic", source="cam1", seq=seq, capture_time=utc_now())


def test_every_issue_kind_is_registered_with_its_priority() -> None:
    expected = {
        "traffic_flow": Priority.BULK, "crossing": Priority.BULK, "signal_state": Priority.BULK,
        "latency": Priority.BULK, "node_status": Priority.BULK, "signal_command": Priority.CRITICAL,
        "defect": Priority.CRITICAL, "part_verdict": Priority.CRITICAL, "alarm": Priority.CRITICAL,
    }
    assert {k: EVENT_KINDS[k].priority for k in expected} == expected
    assert all(cls.version >= 1 for cls in EVENT_KINDS.values())


def test_round_trip_keeps_everything_including_the_crop() -> None:
    crop = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 10
    event = wrap(Defect(part_id="p-17", defect_class="scratch", confidence=0.93, box=Box(x1=5, y1=6, x2=50, y2=60),
                        belt_position_mm=812.5, crop_jpeg=crop))
    payload = event.to_json()
    decoded = decode_event(payload, "edgesight/site1/traffic/cam1/defect")
    assert decoded == event and decoded.data.crop_jpeg == crop
    assert json.loads(payload)["data"]["crop_jpeg"] != crop.decode("latin-1")  # base64, not raw bytes


def test_ids_are_unique_and_time_ordered() -> None:
    first = [new_event_id() for _ in range(1000)]
    time.sleep(0.002)
    later = new_event_id()
    assert len(set(first)) == 1000
    assert all(i < later for i in first)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"42", "a JSON int, expected an object"),
        (b'{"kind": "warp"}', "unknown event kind 'warp'"),
    ],
)
def test_bad_payloads_say_why(payload: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent, match=reason):
        decode_event(payload)


def test_field_errors_name_the_field_and_newer_versions_are_refused() -> None:
    good = json.loads(wrap(SignalCommand(command="hold", phase="2", reason="bus priority")).to_json())
    bad = {**good, "data": {**good["data"], "command": "explode"}}
    with pytest.raises(InvalidEvent, match=r"signal_command: data.command: Input should be"):
        decode_event(json.dumps(bad).encode())
    with pytest.raises(InvalidEvent, match="v9 is newer than this consumer knows"):
        decode_event(json.dumps({**good, "v": 9}).encode())


def test_crops_are_bounded_and_must_be_jpeg() -> None:
    box = Box(x1=0, y1=0, x2=1, y2=1)
    with pytest.raises(ValueError, match="not a JPEG"):
        Defect(part_id="p", defect_class="c", confidence=0.5, box=box, belt_position_mm=0, crop_jpeg=b"GIF89a")
    with pytest.raises(ValueError, match=str(MAX_CROP_BYTES)):
        Defect(part_id="p", defect_class="c", confidence=0.5, box=box, belt_position_mm=0,
               crop_jpeg=b"\xff\xd8\xff" + b"\x00" * MAX_CROP_BYTES)
    with pytest.raises(ValueError, match="greater than its lower corner"):
        Box(x1=10, y1=0, x2=5, y2=5)


def test_presence_is_unsequenced_and_topics_follow_the_layout() -> None:
    presence = make_envelope(NodeStatus(state="online"), site="site1", node="n1", app="node", source="n1", seq=None,
                             capture_time=utc_now())
    assert presence.topic == "edgesight/site1/node/n1/node_status" and presence.seq is None
    flow = wrap(TrafficFlow(interval_s=60, lanes=[LaneFlow(lane="1", counts={"car": 12}, flow_veh_h=720,
                                                           occupancy=0.2, queue_length_m=14)]))
    assert flow.topic == "edgesight/site1/traffic/cam1/traffic_flow" and flow.stream == "traffic/cam1"


def test_registry_extends_with_one_decorated_class_and_refuses_clashes() -> None:
    @event_kind("test_probe_reading", version=1, priority=Priority.BULK)
    class ProbeReading(EventBody):
        value: float

    try:
        assert decode_event(wrap(ProbeReading(value=1.5)).to_json()).data == ProbeReading(value=1.5)
        with pytest.raises(ValueError, match="registered twice"):
            event_kind("test_probe_reading", version=1, priority=Priority.BULK)(ProbeReading)
    finally:
        del EVENT_KINDS["test_probe_reading"]
    with pytest.raises(ValueError, match="not a valid topic level"):
        event_kind("bad/kind", version=1, priority=Priority.BULK)


@given(st.text(max_size=200), st.binary(max_size=200))
def test_decoder_never_raises_anything_but_invalid_event(text: str, blob: bytes) -> None:
    for payload in (text.encode(), blob, json.dumps({"kind": "alarm", "data": text}).encode()):
        try:
            decode_event(payload)
        except InvalidEvent:
            pass
