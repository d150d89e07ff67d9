"""Who each tracked vehicle is, kept steady for the counters downstream.

A tracker loses a vehicle that stands still at a stop line behind a bus, or flickers out for a few frames,
and then starts a new id for it. Counting by raw tracker ids would then count it twice or never. Here a new
id that appears where a recently lost one was heading or stood (within `max_distance_m` of the stretch of road
it can have covered, within `max_gap_s`) takes over the old identity, so every later step sees one vehicle. A
vehicle last seen touching the frame's border has left the view rather than been lost, and is never taken over: on
an approach camera, vehicles leaving the junction appear at the bottom edge right where entering ones disappear,
and would otherwise inherit their identity (and its count). The class is the majority vote over the identity's
history, so a car misread as a truck for a frame stays a car.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import supervision as sv

from .ground_plane import GroundPlane


# A car pulling away from a stop line: SUMO's passenger cars accelerate at 2.6 m/s2, brisk drivers at about 3.
MAX_ACCEL_MPS2 = 3.0
# Below this a tracked vehicle's ground velocity is box jitter rather than a heading (a box bottom jittering a
# pixel is 0.1-0.3 m a frame on an approach camera; the velocity is smoothed over several frames).
HEADING_MIN_SPEED_MPS = 0.5


@dataclass
class _Identity:
    last_t: float
    xy: np.ndarray
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    votes: Counter = field(default_factory=Counter)
    at_border: bool = False  # its last box touched the frame's edge
    speed_samples: int = 0  # steps between two whole (not border-clipped) boxes that `velocity` is made of


class TrackIdentity:
    """`update(detections, timestamp)` -> detections with stable `tracker_id`, and `data["class_name"]`
    (majority class) and `data["ground_xy"]` (bottom-centre on the road, metres) filled in."""

    def __init__(self, ground: GroundPlane, class_names: Sequence[str], image_size: tuple[int, int] | None = None,
                 max_gap_s: float = 3.0, max_distance_m: float = 4.0) -> None:
        self.ground = ground
        self.image_size = image_size  # width, height; None: no box counts as touching the border
        self.class_names = list(class_names)
        self.max_gap_s = max_gap_s
        self.max_distance_m = max_distance_m
        self._stable_of: dict[int, int] = {}  # raw tracker id -> stable id
        self._identities: dict[int, _Identity] = {}
        self._next_id = 1

    def update(self, detections: sv.Detections, timestamp: float) -> sv.Detections:
        if detections.tracker_id is None:
            raise ValueError("TrackIdentity.update: detections have no tracker_id; run them through the tracker first")
        out = detections[np.ones(len(detections), bool)]  # a copy the caller's detections do not share
        xy = self.ground.to_metres(detections.get_anchors_coordinates(sv.Position.BOTTOM_CENTER))
        names = self._names(detections)
        at_border = self._at_border(detections.xyxy)
        stable = np.empty(len(detections), dtype=int)
        taken: set[int] = set()
        # Known raw ids first, so a lost identity is only offered to ids that are really new.
        order = sorted(range(len(detections)), key=lambda i: int(detections.tracker_id[i]) not in self._stable_of)
        for i in order:
            raw = int(detections.tracker_id[i])
            sid = self._stable_of.get(raw)
            if sid is None or sid in taken:
                sid = self._take_over(xy[i], timestamp, taken)
                self._stable_of[raw] = sid
            taken.add(sid)
            stable[i] = sid
            self._observe(sid, xy[i], names[i], timestamp, bool(at_border[i]))
        self._forget(timestamp)
        out.tracker_id = stable
        out.data["ground_xy"] = xy
        out.data["class_name"] = np.array([self._identities[s].votes.most_common(1)[0][0] for s in stable], dtype=object)
        return out

    def _names(self, detections: sv.Detections) -> list[str]:
        if "class_name" in detections.data:
            return [str(n) for n in detections.data["class_name"]]
        if detections.class_id is None:
            raise ValueError("TrackIdentity.update: detections carry neither class_id nor data['class_name']")
        return [self.class_names[int(c)] for c in detections.class_id]

    def _take_over(self, xy: np.ndarray, t: float, taken: set[int]) -> int:
        """The lost identity that can have reached `xy`, or a new one. Of several, the nearest; of several that
        can all be there (two cars lost in one lane), the one whose constant-speed position is nearest."""
        best, best_key = None, (self.max_distance_m, np.inf)
        for sid, ident in self._identities.items():
            gap = t - ident.last_t
            if sid in taken or ident.at_border or gap <= 0 or gap > self.max_gap_s:
                continue
            key = self._match_key(ident, xy, gap)
            if key <= best_key:
                best, best_key = sid, key
        if best is not None:
            return best
        self._next_id += 1
        return self._next_id - 1

    @staticmethod
    def _match_key(ident: _Identity, xy: np.ndarray, gap: float) -> tuple[float, float]:
        """(how far `xy` lies from where the lost vehicle can be after `gap` seconds, how far from its
        constant-speed position). Where it stood counts (a vehicle braking to a stop is lost while its smoothed
        velocity still says it is moving), and so does where it was heading. A vehicle with a heading may also
        have sped up: a queue discharging at the start of green carries a car hidden behind a bus several metres
        past where its creeping speed puts it, so the reach runs along its heading, from where it stood to its
        constant-speed position plus what it gains pulling away at MAX_ACCEL_MPS2. A standing vehicle's velocity
        is box jitter, no heading, and gets no reach."""
        ahead = ident.xy + ident.velocity * gap
        off_ahead = float(np.linalg.norm(ahead - xy))
        speed = float(np.linalg.norm(ident.velocity))
        if ident.speed_samples == 0 or speed < HEADING_MIN_SPEED_MPS:
            return min(off_ahead, float(np.linalg.norm(ident.xy - xy))), off_ahead
        heading = ident.velocity / speed
        reach = speed * gap + 0.5 * MAX_ACCEL_MPS2 * gap ** 2
        along = float(np.clip((xy - ident.xy) @ heading, 0.0, reach))
        return float(np.linalg.norm(ident.xy + along * heading - xy)), off_ahead

    def _at_border(self, xyxy: np.ndarray, margin_px: float = 2.0) -> np.ndarray:
        if self.image_size is None:
            return np.zeros(len(xyxy), bool)
        w, h = self.image_size
        return (xyxy[:, :2] <= margin_px).any(axis=1) | (xyxy[:, 2] >= w - margin_px) | (xyxy[:, 3] >= h - margin_px)

    def _observe(self, sid: int, xy: np.ndarray, name: str, t: float, at_border: bool) -> None:
        ident = self._identities.get(sid)
        if ident is None:
            self._identities[sid] = _Identity(t, xy.copy(), votes=Counter([name]), at_border=at_border)
            return
        dt = t - ident.last_t
        # A box the frame's edge clips has its bottom at the edge, not at the vehicle's bumper: a step to or from
        # one is no measure of speed. The first whole step sets the velocity outright (a vehicle lost right after
        # it appeared must still be predicted at its speed); later ones are smoothed, so that box jitter of a
        # standing vehicle does not predict it drifting away.
        if dt > 0 and not (at_border or ident.at_border):
            step = (xy - ident.xy) / dt
            ident.velocity = step if ident.speed_samples == 0 else 0.7 * ident.velocity + 0.3 * step
            ident.speed_samples += 1
        ident.at_border = at_border
        ident.last_t, ident.xy = t, xy.copy()
        ident.votes[name] += 1

    def _forget(self, t: float) -> None:
        for sid in [s for s, ident in self._identities.items() if t - ident.last_t > self.max_gap_s]:
            del self._identities[sid]
        live = set(self._identities)
        self._stable_of = {raw: sid for raw, sid in self._stable_of.items() if sid in live}
