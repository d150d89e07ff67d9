"""RejectScheduler: the reject controller's decisions as pure logic on an explicit clock.

For each verdict: a part already decided (a QoS 1 redelivery, or a republished verdict) is a duplicate and never
acts again; a pass needs nothing; a reject is due when the part reaches the diverter, i.e. at
capture time + (diverter position - belt position at capture) / belt speed, less the actuator's lead time. A reject
whose moment has already passed is a deadline miss: reported, never silently dropped, never fired late (a late
stroke would push off whichever part is at the diverter by then)."""
from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from enum import Enum

from .config import BeltGeometry, ControllerConfig


class Outcome(str, Enum):
    SCHEDULED = "scheduled"
    PASS = "pass"
    DUPLICATE = "duplicate"
    DEADLINE_MISS = "deadline_miss"


@dataclass(frozen=True, slots=True)
class VerdictNotice:
    part_id: str
    reject: bool
    capture_wall: float  # epoch seconds when the part's centre was at belt_position_mm
    belt_position_mm: float  # downstream of the camera axis


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    part_id: str
    fire_at: float | None  # epoch seconds to issue the diverter command (rejects only)
    slack_s: float  # fire_at - now; negative: late by that much


class RejectScheduler:
    def __init__(self, belt: BeltGeometry, config: ControllerConfig) -> None:
        self.belt = belt
        self.config = config
        self.counts: Counter[Outcome] = Counter()
        self._known: set[str] = set()
        self._expiry: deque[tuple[float, str]] = deque()

    def fire_time(self, notice: VerdictNotice) -> float:
        travel_s = (self.belt.diverter_mm - notice.belt_position_mm) / self.belt.speed_mm_s
        return notice.capture_wall + travel_s - self.config.actuation_lead_s

    def offer(self, notice: VerdictNotice, now: float) -> Decision:
        self._forget(now)
        if notice.part_id in self._known:
            self.counts[Outcome.DUPLICATE] += 1
            return Decision(Outcome.DUPLICATE, notice.part_id, None, 0.0)
        self._known.add(notice.part_id)
        self._expiry.append((notice.capture_wall + self.config.remember_s, notice.part_id))
        if not notice.reject:
            self.counts[Outcome.PASS] += 1
            return Decision(Outcome.PASS, notice.part_id, None, 0.0)
        fire_at = self.fire_time(notice)
        outcome = Outcome.SCHEDULED if fire_at >= now else Outcome.DEADLINE_MISS
        self.counts[outcome] += 1
        return Decision(outcome, notice.part_id, fire_at, fire_at - now)

    def _forget(self, now: float) -> None:
        """Part ids are remembered `remember_s` past their capture, far beyond any redelivery of their verdict. Even a
        redelivery later than that cannot fire: its part passed the diverter long ago, so it is a deadline miss."""
        while self._expiry and self._expiry[0][0] < now:
            self._known.discard(self._expiry.popleft()[1])
