"""A believable site as real events, for the dashboard's tests and its benchmark, until the apps publish end to end.

One junction (four approach cameras with two lanes each, a max-pressure signal controller that falls back to a
fixed plan while a camera is lost), a second junction whose node goes offline, and an inspection line (one camera,
about two parts a second, a reject controller that now and then misses a deadline). Every event is built with the
real schemas (`make_envelope`) and numbered per stream as a publisher numbers it; node heartbeats carry each
stream's last seq as of their own time.

    events = site_events(start, end, seed=7)     # time-ordered Envelopes, ready for EventStore.write

Traffic follows the site's local time of day (morning and evening peaks); `utc_offset` sets that local time.
"""
from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

import numpy as np

from edgesight.apps.inspection.classes import DEFECT_CLASSES
from edgesight.apps.inspection.sim.part_renderer import PartRenderer
from edgesight.apps.inspection.sim.parts import PartSpec
from edgesight.apps.inspection.verdict_publisher import crop_jpeg
from edgesight.core.bus.publisher import NODE_APP
from edgesight.core.events import (
    Alarm, Box, Crossing, Defect, Envelope, EventBody, FrameLatency, LaneFlow, LatencyBatch, NodeStatus, PartVerdict,
    SignalColour, SignalCommand, SignalState, TrafficFlow, VehicleClass, make_envelope,
)
from edgesight.core.store.event_store import EventStore

SITE = "riverside"
JUNCTION_NODE = "edge-junction-1"
SECOND_JUNCTION_NODE = "edge-junction-2"
LINE_NODE = "edge-line-1"
APPROACHES = ("north", "east", "south", "west")
JUNCTION_CAMERAS = {approach: f"cam-{approach}" for approach in APPROACHES}
SECOND_JUNCTION_CAMERA = "cam-j2-north"
CONTROLLER = "tls-1"
LINE_CAMERA = "line1"
REJECT_CONTROLLER = "line1-reject"
SIGNAL_STAGES = (("north_in", "south_in"), ("east_in", "west_in"))

HEARTBEAT_S = 10.0  # BusConfig.heartbeat_s default
FLOW_INTERVAL_S = 10
LATENCY_BATCH_S = 10
# Latency batches carry a sample of the frames (their frame_seq still counts every frame the camera delivered).
LATENCY_FRAMES_PER_BATCH = 10
OUTAGE_EVERY = timedelta(hours=6)  # cam-east drops out for OUTAGE_LENGTH, the latest one 22 min before the end
OUTAGE_LENGTH = timedelta(minutes=4)
OFFLINE_BEFORE_END = timedelta(minutes=25)  # the second junction's node goes offline this long before the end

QUEUED_VEHICLE_SPACING_M = 7.5
MIN_GREEN_S, MAX_GREEN_S, AMBER_S, ALL_RED_S, FALLBACK_GREEN_S = 8, 55, 3, 2, 25
STALE_AFTER_S = 6
PART_INTERVAL_S = 0.5
DEFECT_SHARE = 0.05
# Share of each defect class among defects found, in DEFECT_CLASSES order: a Pareto led by scratches.
DEFECT_WEIGHTS = dict(zip(DEFECT_CLASSES, (0.38, 0.12, 0.17, 0.24, 0.09), strict=True))
DEADLINE_MISS_SHARE = 1 / 250
BELT_BGR = np.array([58.0, 60.0, 62.0], np.float32)
VEHICLE_MIX = {VehicleClass.car: 0.84, VehicleClass.truck: 0.07, VehicleClass.bus: 0.03,
               VehicleClass.motorcycle: 0.04, VehicleClass.bicycle: 0.02}


def site_events(start: datetime, end: datetime, *, seed: int = 7, utc_offset: timedelta = timedelta(0),
                latency_frames: int = LATENCY_FRAMES_PER_BATCH) -> Iterator[Envelope[EventBody]]:
    """Every event of the site captured in [start, end), in capture-time order. `latency_frames`: frames sampled
    into each latency batch."""
    numbering = _Numbering()
    outages = _outages(start, end)
    offline_at = end - OFFLINE_BEFORE_END
    sources = [
        _junction(start, end, random.Random(seed), numbering, outages, utc_offset),
        _inspection_line(start, end, random.Random(seed + 1), numbering),
        _node_presence(start, offline_at, numbering),
    ]
    cameras = [(JUNCTION_NODE, "traffic", camera, 10.0, 36.0, outages if approach == "east" else [])
               for approach, camera in JUNCTION_CAMERAS.items()]
    cameras += [(SECOND_JUNCTION_NODE, "traffic", SECOND_JUNCTION_CAMERA, 10.0, 36.0, [(offline_at, end)]),
                (LINE_NODE, "inspection", LINE_CAMERA, 15.0, 19.0, [])]
    for i, (node, app, camera, fps, infer_ms, gaps) in enumerate(cameras):
        sources.append(_latency(start, end, random.Random(seed + 10 + i), numbering, node, app, camera, fps,
                                infer_ms, gaps, utc_offset, latency_frames))
    merged = heapq.merge(*sources, key=lambda e: e.capture_time)
    return _with_heartbeats(merged, start, numbering, {SECOND_JUNCTION_NODE: offline_at})


# ------------------------------------------------------------------------------------------- numbering

@dataclass
class _Numbering:
    """Gap-free seq per stream (node, app/source), like EventPublisher."""

    seqs: dict[tuple[str, str], int] = field(default_factory=dict)

    def envelope(self, body: EventBody, *, node: str, app: str, source: str, at: datetime,
                 sequenced: bool = True) -> Envelope[EventBody]:
        seq = None
        if sequenced:
            key = (node, f"{app}/{source}")
            seq = self.seqs.get(key, -1) + 1
            self.seqs[key] = seq
        return make_envelope(body, site=SITE, node=node, app=app, source=source, seq=seq, capture_time=at,
                             publish_time=at + timedelta(milliseconds=80))


def _with_heartbeats(events: Iterable[Envelope[EventBody]], start: datetime, numbering: _Numbering,
                     offline_at: dict[str, datetime]) -> Iterator[Envelope[EventBody]]:
    """Interleave each node's heartbeat every HEARTBEAT_S; it names the last seq of every stream seen so far."""
    last_seq: dict[str, dict[str, int]] = {}
    beat = start + timedelta(seconds=HEARTBEAT_S)
    nodes = (JUNCTION_NODE, SECOND_JUNCTION_NODE, LINE_NODE)
    def passing(event: Envelope[EventBody]) -> Envelope[EventBody]:
        if event.seq is not None:
            last_seq.setdefault(event.node, {})[event.stream] = event.seq
        return event

    for event in events:
        while event.capture_time >= beat:
            yield from map(passing, _heartbeats(beat, start, nodes, numbering, last_seq, offline_at))
            beat += timedelta(seconds=HEARTBEAT_S)
        yield passing(event)


def _heartbeats(at: datetime, start: datetime, nodes: tuple[str, ...], numbering: _Numbering,
                last_seq: dict[str, dict[str, int]], offline_at: dict[str, datetime]) -> Iterator[Envelope[EventBody]]:
    for node in nodes:
        if node in offline_at and at >= offline_at[node]:
            continue
        # An uplink hiccup on the line node every 6 h leaves a short outbox backlog.
        pending = 240 if node == LINE_NODE and (at - start) % timedelta(hours=6) < timedelta(seconds=30) else 0
        status = NodeStatus(state="heartbeat", uptime_s=(at - start).total_seconds() + 3600.0,
                            streams=dict(last_seq.get(node, {})), outbox_pending=pending)
        yield numbering.envelope(status, node=node, app=NODE_APP, source=node, at=at)


def _node_presence(start: datetime, second_offline_at: datetime,
                   numbering: _Numbering) -> Iterator[Envelope[EventBody]]:
    """The retained presence messages: every node online at the start, the second junction offline later."""
    for node in (JUNCTION_NODE, SECOND_JUNCTION_NODE, LINE_NODE):
        yield numbering.envelope(NodeStatus(state="online", uptime_s=3600.0), node=node, app=NODE_APP, source=node,
                                 at=start, sequenced=False)
    uptime = (second_offline_at - start).total_seconds() + 3600.0
    yield numbering.envelope(NodeStatus(state="offline", uptime_s=uptime), node=SECOND_JUNCTION_NODE, app=NODE_APP,
                             source=SECOND_JUNCTION_NODE, at=second_offline_at, sequenced=False)


def _outages(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    latest = end - timedelta(minutes=22)
    found = []
    while latest >= start:
        found.append((latest, latest + OUTAGE_LENGTH))
        latest -= OUTAGE_EVERY
    return sorted(found)


def _inside(at: datetime, spans: list[tuple[datetime, datetime]]) -> bool:
    return any(a <= at < b for a, b in spans)


def _daily_load(local: datetime) -> float:
    """Traffic through the (local) day, 0..1: morning and evening peaks over a lower midday plateau."""
    hour = local.hour + local.minute / 60
    peaks = math.exp(-((hour - 8.0) / 1.4) ** 2) + 0.9 * math.exp(-((hour - 17.5) / 1.8) ** 2)
    plateau = 0.45 * math.exp(-((hour - 13.0) / 4.5) ** 2)
    return min(1.0, 0.12 + peaks + plateau)


# ------------------------------------------------------------------------------------------- junction

@dataclass
class _Lane:
    name: str
    approach: str
    queue: int = 0
    departed: Counter[VehicleClass] = field(default_factory=Counter)
    occupied_s: int = 0
    speeds: list[float] = field(default_factory=list)

    @property
    def group(self) -> str:
        return f"{self.approach}_in"

    def flow(self) -> LaneFlow:
        count = sum(self.departed.values())
        return LaneFlow(lane=self.name, counts=dict(self.departed), flow_veh_h=count * 3600.0 / FLOW_INTERVAL_S,
                        occupancy=min(1.0, self.occupied_s / FLOW_INTERVAL_S),
                        queue_length_m=self.queue * QUEUED_VEHICLE_SPACING_M,
                        mean_speed_kmh=round(sum(self.speeds) / len(self.speeds), 1) if self.speeds else None)

    def reset_interval(self) -> None:
        self.departed, self.occupied_s, self.speeds = Counter(), 0, []


@dataclass
class _Signal:
    """Max-pressure between two stages with min/max green, amber and all-red; a fixed plan while measurements are
    stale."""

    stage: int = 0
    colour: str = "green"  # of the current stage: green, amber, all_red
    elapsed: int = 0
    fallback: bool = False
    held_this_green: bool = False

    @property
    def plan_id(self) -> str:
        return "fallback-fixed" if self.fallback else "max-pressure"

    def state(self, reason: str) -> SignalState:
        groups = {g: SignalColour.red for stage in SIGNAL_STAGES for g in stage}
        if self.colour != "all_red":
            for g in SIGNAL_STAGES[self.stage]:
                groups[g] = SignalColour.green if self.colour == "green" else SignalColour.amber
        phase = "-".join(sorted(SIGNAL_STAGES[self.stage])) if self.colour == "green" else "all_red"
        cycle = 2.0 * (FALLBACK_GREEN_S + AMBER_S + ALL_RED_S) if self.fallback else 0.0
        return SignalState(groups=groups, phase=phase, time_in_phase_s=0.0, cycle_s=cycle, plan_id=self.plan_id,
                           reason=reason)


def _junction(start: datetime, end: datetime, rng: random.Random, numbering: _Numbering,
              outages: list[tuple[datetime, datetime]], utc_offset: timedelta) -> Iterator[Envelope[EventBody]]:
    lanes = [_Lane(f"{approach}_in_{i}", approach) for approach in APPROACHES for i in (0, 1)]
    signal = _Signal()
    classes, weights = list(VEHICLE_MIX), list(VEHICLE_MIX.values())
    track_id = 0
    stale_s = 0

    def emit(body: EventBody, source: str, at: datetime) -> Envelope[EventBody]:
        return numbering.envelope(body, node=JUNCTION_NODE, app="traffic", source=source, at=at)

    yield emit(signal.state("start of plan"), CONTROLLER, start)
    at, second = start, 0
    while at < end:
        load = _daily_load(at + utc_offset)
        blind = _inside(at, outages)  # cam-east delivers nothing
        for lane in lanes:
            major = 1.0 if lane.approach in ("north", "south") else 0.65
            if rng.random() < 480.0 * major * load / 3600.0:
                lane.queue += 1
            green = signal.colour == "green" and lane.group in SIGNAL_STAGES[signal.stage]
            # Saturation flow: one vehicle every two seconds once the first two seconds of green are lost.
            if green and signal.elapsed >= 2 and lane.queue and rng.random() < 0.5:
                waited = lane.queue > 1
                lane.queue -= 1
                vehicle = rng.choices(classes, weights)[0]
                speed = rng.uniform(14.0, 24.0) if waited else rng.uniform(32.0, 50.0)
                lane.departed[vehicle] += 1
                lane.speeds.append(speed)
                track_id += 1
                if not (blind and lane.approach == "east"):
                    yield emit(Crossing(track_id=track_id, line=f"{lane.approach}_stop", lane=lane.name,
                                        vehicle_class=vehicle, direction="in", speed_kmh=round(speed, 1)),
                               JUNCTION_CAMERAS[lane.approach], at)
            if lane.queue:
                lane.occupied_s += 1

        stale_s = stale_s + 1 if blind else 0
        if stale_s == STALE_AFTER_S and not signal.fallback:
            signal.fallback = True
            yield emit(Alarm(alarm="stale_measurement", severity="warning",
                             text=f"fallback: no measurement from east_in for {STALE_AFTER_S} s; fixed plan "
                                  "fallback-fixed until it is fresh again"), CONTROLLER, at)
        elif signal.fallback and not blind:
            signal.fallback = False
            yield emit(Alarm(alarm="safety_intervention", severity="info",
                             text="fallback_released: east_in measurements fresh again; back to max-pressure"),
                       CONTROLLER, at)
        yield from (emit(body, CONTROLLER, at) for body in _signal_step(signal, lanes, rng))

        second += 1
        at = start + timedelta(seconds=second)
        if second % FLOW_INTERVAL_S == 0 and at < end:
            for approach in APPROACHES:
                if not (blind and approach == "east"):
                    approach_lanes = [lane.flow() for lane in lanes if lane.approach == approach]
                    yield emit(TrafficFlow(interval_s=FLOW_INTERVAL_S, lanes=approach_lanes),
                               JUNCTION_CAMERAS[approach], at)
            for lane in lanes:
                lane.reset_interval()


def _signal_step(signal: _Signal, lanes: list[_Lane], rng: random.Random) -> Iterator[EventBody]:
    """One second of the controller; yields the commands, alarms and signal states that second produced."""
    signal.elapsed += 1
    other = 1 - signal.stage
    if signal.colour == "green":
        pressure = [sum(lane.queue for lane in lanes if lane.group in stage) for stage in SIGNAL_STAGES]
        if signal.fallback:
            ends = signal.elapsed >= FALLBACK_GREEN_S
            reason = f"fallback-fixed: {FALLBACK_GREEN_S} s green"
        else:
            wants = pressure[other] > pressure[signal.stage] + 2
            ends = (wants and signal.elapsed >= MIN_GREEN_S) or signal.elapsed >= MAX_GREEN_S
            reason = (f"max-pressure: {pressure[other]} queued against {pressure[signal.stage]}"
                      if signal.elapsed < MAX_GREEN_S else f"max green {MAX_GREEN_S} s")
            if wants and signal.elapsed == MIN_GREEN_S - 3 and not signal.held_this_green and rng.random() < 0.08:
                signal.held_this_green = True
                yield Alarm(alarm="safety_intervention", severity="warning",
                            text=f"min_green: request to leave {'-'.join(SIGNAL_STAGES[signal.stage])} after "
                                 f"{signal.elapsed} s held to {MIN_GREEN_S} s")
        if ends:
            if not signal.fallback:
                yield SignalCommand(command="advance", phase="-".join(sorted(SIGNAL_STAGES[other])), reason=reason)
            signal.colour, signal.elapsed = "amber", 0
            yield signal.state(reason)
    elif signal.colour == "amber" and signal.elapsed >= AMBER_S:
        signal.colour, signal.elapsed = "all_red", 0
        yield signal.state("all-red clearance")
    elif signal.colour == "all_red" and signal.elapsed >= ALL_RED_S:
        signal.stage, signal.colour, signal.elapsed, signal.held_this_green = other, "green", 0, False
        yield signal.state(f"{signal.plan_id}: start of green")


# ------------------------------------------------------------------------------------------- inspection line

@cache
def _crops(defect_class: str) -> tuple[bytes, ...]:
    """A few JPEG crops of the defect class as the inspection app publishes them, from its own part renderer."""
    renderer = PartRenderer(px_per_mm=1.6)
    found = []
    for seed in range(3):
        kind = "pcb" if defect_class == "missing_feature" and seed % 2 else "disc"
        size_mm = (60.0, 60.0) if kind == "disc" else (70.0, 45.0)
        sprite = renderer.render(PartSpec(part_id=seed, kind=kind, size_mm=size_mm, angle_deg=17.0 * seed,
                                          seed=100 + seed, defects=(defect_class,)))
        # On the belt, as the camera sees it: the sprite over the dark belt, darkened by its shadow.
        alpha = sprite.alpha[..., None]
        on_belt = sprite.bgr * alpha + BELT_BGR * (1.0 - sprite.shadow[..., None]) * (1.0 - alpha)
        x1, y1, x2, y2 = sprite.defect_xyxy[0]
        pad = 12
        h, w = on_belt.shape[:2]
        crop = on_belt[max(int(y1) - pad, 0):min(int(y2) + pad, h), max(int(x1) - pad, 0):min(int(x2) + pad, w)]
        jpeg = crop_jpeg(np.clip(crop, 0, 255).astype(np.uint8))
        if jpeg is not None:
            found.append(jpeg)
    return tuple(found)


def _inspection_line(start: datetime, end: datetime, rng: random.Random,
                     numbering: _Numbering) -> Iterator[Envelope[EventBody]]:
    classes, weights = list(DEFECT_WEIGHTS), list(DEFECT_WEIGHTS.values())
    misses: list[tuple[datetime, Alarm]] = []  # the reject controller's alarms, due after their part's verdict
    part = 0
    at = start
    while at < end:
        while misses and misses[0][0] <= at:
            due, alarm = misses.pop(0)
            yield numbering.envelope(alarm, node=LINE_NODE, app="inspection", source=REJECT_CONTROLLER, at=due)
        part += 1
        part_id = f"{LINE_CAMERA}-{part:08d}"
        position = round(400.0 + rng.uniform(-40.0, 40.0), 1)
        found = []
        if rng.random() < DEFECT_SHARE:
            for _ in range(2 if rng.random() < 0.2 else 1):
                found.append((rng.choices(classes, weights)[0], rng.uniform(0.55, 0.98)))
        defect_ids = []
        for defect_class, confidence in found:
            x1, y1 = rng.randint(180, 380), rng.randint(140, 300)
            crops = _crops(defect_class)
            defect = Defect(part_id=part_id, defect_class=defect_class, confidence=round(confidence, 4),
                            box=Box(x1=x1, y1=y1, x2=x1 + rng.randint(18, 70), y2=y1 + rng.randint(14, 50)),
                            belt_position_mm=position, crop_jpeg=crops[rng.randrange(len(crops))] if crops else None)
            envelope = numbering.envelope(defect, node=LINE_NODE, app="inspection", source=LINE_CAMERA, at=at)
            defect_ids.append(envelope.id)
            yield envelope
        if found:
            worst = max(found, key=lambda d: d[1])
            verdict = PartVerdict(part_id=part_id, verdict="reject", defect_ids=defect_ids, belt_position_mm=position,
                                  reason=f"{worst[0]} {worst[1]:.2f} over {rng.randint(3, 6)} frames")
        else:
            verdict = PartVerdict(part_id=part_id, verdict="pass", belt_position_mm=position,
                                  reason=f"no defect over {rng.randint(3, 6)} frames")
        yield numbering.envelope(verdict, node=LINE_NODE, app="inspection", source=LINE_CAMERA, at=at)
        if found and rng.random() < DEADLINE_MISS_SHARE:
            late_ms = rng.randint(15, 180)
            misses.append((at + timedelta(milliseconds=950 + late_ms),
                           Alarm(alarm="deadline_miss", severity="critical",
                                 text=f"reject for part {part_id} arrived {late_ms} ms after it passed the diverter; "
                                      "the part was not diverted")))
        at += timedelta(seconds=PART_INTERVAL_S * rng.uniform(0.85, 1.15))


# ------------------------------------------------------------------------------------------- latency

def _latency(start: datetime, end: datetime, rng: random.Random, numbering: _Numbering, node: str, app: str,
             camera: str, fps: float, infer_ms: float, gaps: list[tuple[datetime, datetime]],
             utc_offset: timedelta, frames_per_batch: int) -> Iterator[Envelope[EventBody]]:
    """A LatencyBatch every LATENCY_BATCH_S with a sample of that interval's frames, per pipeline stage (ms)."""
    at = start + timedelta(seconds=LATENCY_BATCH_S)
    while at < end:
        if not _inside(at, gaps):
            load = _daily_load(at + utc_offset)
            # One frame from each of `frames_per_batch` equal slots of the interval's frames.
            first = int(((at - start).total_seconds() - LATENCY_BATCH_S) * fps)
            slot = max(int(LATENCY_BATCH_S * fps) // frames_per_batch, 1)
            frames = [FrameLatency(frame_seq=first + i * slot + rng.randrange(slot),
                                   stages_ms=_stage_times(rng, load, infer_ms))
                      for i in range(frames_per_batch)]
            yield numbering.envelope(LatencyBatch(frames=frames), node=node, app=app, source=camera, at=at)
        at += timedelta(seconds=LATENCY_BATCH_S)


def _stage_times(rng: random.Random, load: float, infer_ms: float) -> dict[str, float]:
    """One frame's stage latencies as LatencyRecorder.stage_latencies names them (ms), end to end included. The
    queue wait grows with load, and now and then a frame waits behind a slow inference."""
    queue = rng.expovariate(1.0 / (1.5 + 6.0 * load))
    if rng.random() < 0.015:
        queue += rng.uniform(30.0, 90.0)
    times = {
        "decode": 3.1 * rng.lognormvariate(0.0, 0.2),
        "queue": queue,
        "preprocess": 2.4 * rng.lognormvariate(0.0, 0.1),
        "infer": infer_ms * (1.0 + 0.25 * load) * rng.lognormvariate(0.0, 0.12),
        "track": 0.9 * rng.lognormvariate(0.0, 0.3),
        "emit": 0.4 * rng.lognormvariate(0.0, 0.3),
    }
    times["end_to_end"] = sum(times.values())
    return {stage: round(ms, 2) for stage, ms in times.items()}


def offset_for_local_hour(at: datetime, local_hour: float) -> timedelta:
    """The UTC offset that makes `at` read `local_hour` o'clock at the site (e.g. to place it in a rush hour)."""
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return timedelta(hours=local_hour) - (at - midnight)


def write_events(store: EventStore, events: Iterable[Envelope[EventBody]], batch_size: int = 2000) -> int:
    """Write through the store's own writer in batches, as the ingest job does; returns how many were stored."""
    stored, batch = 0, []
    for event in events:
        batch.append(event)
        if len(batch) == batch_size:
            stored += store.write(batch)
            batch = []
    return stored + (store.write(batch) if batch else 0)
