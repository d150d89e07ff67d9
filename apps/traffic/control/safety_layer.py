"""The safety layer: the only thing that changes signal states. Algorithms and messages only make requests.

Whatever is requested, it guarantees: a group turns green only after every conflicting group has been red
for the all-red time; a green lasts at least min green and at most max green; every green ends with a full
yellow. Requests it cannot trust (unknown or conflicting groups, or made while the measurements are stale or
impossible) are replaced by the fixed plan's. Each intervention is logged and handed to `on_intervention`
(which publishes it), once when it starts.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edgesight.apps.traffic.control.fixed_time import FixedTimePlan
from edgesight.apps.traffic.control.measurement_guard import MeasurementGuard
from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.signal_status import GroupState, SignalRequest, SignalStatus
from edgesight.apps.traffic.control.timings import SafetyTimings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intervention:
    """`kind`: invalid_request, fallback, fallback_released, min_green or max_green."""

    time: float
    kind: str
    detail: str


class SafetyLayer:
    def __init__(
        self,
        layout: SignalLayout,
        timings: SafetyTimings,
        fallback: FixedTimePlan,
        guard: MeasurementGuard | None = None,
        start_time: float = 0.0,
        on_intervention: Callable[[Intervention], None] | None = None,
    ) -> None:
        for stage in fallback.stages:
            if not stage <= layout.group_names or not layout.compatible(stage):
                raise ValueError(f"SafetyLayer: fallback plan stage {sorted(stage)} has unknown or conflicting "
                                 f"groups for intersection {layout.tls_id}; fix the plan")
        self.layout = layout
        self.timings = timings
        self.fallback = fallback
        self.guard = guard
        self.on_intervention = on_intervention
        self.interventions: list[Intervention] = []
        self._time = start_time
        # Everything starts red, as after a power-up: the first green shows once the all-red has passed.
        self._states = {name: GroupState.RED for name in sorted(layout.group_names)}
        self._since = {name: start_time for name in self._states}
        self._reason = "start-up all-red"
        self._in_fallback = False
        self._forced: frozenset[str] | None = None
        self._ongoing: set[tuple[str, str]] = set()

    @property
    def status(self) -> SignalStatus:
        return SignalStatus(time=self._time, states=dict(self._states), since=dict(self._since), reason=self._reason)

    @property
    def in_fallback(self) -> bool:
        return self._in_fallback

    def step(self, now: float, request: Any) -> SignalStatus:
        """Move the signals on to `now` (seconds, never earlier than the last step) given the algorithm's
        `request`, which may be anything: only a valid SignalRequest is ever followed."""
        if not now >= self._time:
            raise ValueError(f"SafetyLayer.step: time {now} is before the last step {self._time}; the clock must not go back")
        self._time = now
        noted: set[tuple[str, str]] = set()
        target, reason = self._screen(now, request, noted)
        self._advance(now, target, reason, noted)
        for kind, detail in sorted(noted - self._ongoing):
            self._report(Intervention(now, kind, detail))
        self._ongoing = noted
        return self.status

    def _screen(self, now: float, request: Any, noted: set[tuple[str, str]]) -> tuple[frozenset[str], str]:
        """The groups to aim for this step, and why."""
        status = self.status
        distrust = self.guard.distrust_reason(now) if self.guard is not None else None
        problem = distrust or self._invalid(request)
        if problem is not None:
            if not self._in_fallback:
                self.fallback.align(status)
            self._in_fallback = True
            noted.add(("fallback" if distrust else "invalid_request", problem))
            fallback = self.fallback.decide(now, status)
            target, reason = fallback.green, f"fall-back to fixed plan: {problem}"
        else:
            if self._in_fallback:
                noted.add(("fallback_released", "measurements and requests valid again"))
            self._in_fallback = False
            target, reason = request.green, request.reason
        maxed = frozenset(g for g in status.green if status.elapsed(g) >= self.timings.max_green_s)
        if maxed and self._forced is None:
            self._forced = self.fallback.stage_after(maxed)
            noted.add(("max_green", f"{', '.join(sorted(maxed))} reached {self.timings.max_green_s:g} s max green; "
                                    f"serving {self.layout.stage_name(self._forced)}"))
        if self._forced is not None:
            served = status.green_elapsed(self._forced)
            if not self._forced or (served is not None and served >= self.timings.min_green_s):
                self._forced = None
            else:
                target, reason = self._forced, "max green reached: serving the next stage"
        return target, reason

    def _invalid(self, request: Any) -> str | None:
        if not isinstance(request, SignalRequest) or not isinstance(request.green, (frozenset, set)):
            return f"request {request!r:.80} is not a SignalRequest"
        unknown = sorted(repr(g) for g in request.green if g not in self.layout.group_names)
        if unknown:
            return f"request names unknown signal groups {', '.join(unknown)}"
        if not self.layout.compatible(request.green):
            return f"request {self.layout.stage_name(frozenset(request.green))} has conflicting groups"
        return None

    def _advance(self, now: float, target: frozenset[str], reason: str, noted: set[tuple[str, str]]) -> None:
        t = self.timings
        for group, state in self._states.items():
            elapsed = now - self._since[group]
            if state is GroupState.YELLOW and elapsed >= t.yellow_s:
                self._set(group, GroupState.RED, now, reason)
            elif state is GroupState.GREEN and elapsed >= t.max_green_s:
                self._set(group, GroupState.YELLOW, now, f"max green {t.max_green_s:g} s")
            elif state is GroupState.GREEN and group not in target:
                if elapsed >= t.min_green_s:
                    self._set(group, GroupState.YELLOW, now, reason)
                else:
                    noted.add(("min_green", f"{group} held green to its {t.min_green_s:g} s minimum"))
        for group in sorted(target):
            if self._states[group] is GroupState.RED and self._cleared(group, now):
                self._set(group, GroupState.GREEN, now, reason)

    def _cleared(self, group: str, now: float) -> bool:
        """True once the group and every group conflicting with it have been red for the all-red time."""
        for other in (group, *self.layout.conflicts_of(group)):
            if self._states[other] is not GroupState.RED or now - self._since[other] < self.timings.all_red_s:
                return False
        return True

    def _set(self, group: str, state: GroupState, now: float, reason: str) -> None:
        self._states[group] = state
        self._since[group] = now
        self._reason = reason

    def _report(self, intervention: Intervention) -> None:
        log.warning("safety intervention at %.1f s: %s: %s", intervention.time, intervention.kind, intervention.detail)
        self.interventions.append(intervention)
        if self.on_intervention is not None:
            self.on_intervention(intervention)
