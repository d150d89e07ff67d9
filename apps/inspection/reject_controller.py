"""RejectController: runs the RejectScheduler's decisions on an asyncio loop. A scheduled reject becomes one timer
that calls the actuator at the part's moment; a deadline miss is logged and published as an alarm. It measures the
decision latency (capture -> actuation command committed) and how late the loop issued each command."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from edgesight.core.events import Alarm

from .actuator import DiverterActuator
from .reject_scheduler import Decision, Outcome, RejectScheduler, VerdictNotice

log = logging.getLogger(__name__)


class RejectController:
    def __init__(self, scheduler: RejectScheduler, actuator: DiverterActuator,
                 raise_alarm: Callable[[Alarm], Awaitable[object]] | None = None) -> None:
        self.scheduler = scheduler
        self.actuator = actuator
        self.raise_alarm = raise_alarm
        # Capture of the judged frame -> decision committed (a reject's command scheduled, a pass let go), per part.
        self.decision_latency_s: dict[Outcome, list[float]] = {o: [] for o in Outcome if o is not Outcome.DUPLICATE}
        self.fire_lateness_s: list[float] = []  # issued - planned, per command
        self.slack_s: list[float] = []  # planned moment - decision time, per scheduled reject
        self._scheduled: set[asyncio.Task] = set()

    async def handle(self, notice: VerdictNotice) -> Decision:
        now = time.time()
        decision = self.scheduler.offer(notice, now)
        if decision.outcome is not Outcome.DUPLICATE:
            self.decision_latency_s[decision.outcome].append(now - notice.capture_wall)
        if decision.outcome is Outcome.SCHEDULED and decision.fire_at is not None:
            self.slack_s.append(decision.slack_s)
            task = asyncio.get_running_loop().create_task(self._fire_at(notice.part_id, decision.fire_at))
            self._scheduled.add(task)
            task.add_done_callback(self._scheduled.discard)
        elif decision.outcome is Outcome.DEADLINE_MISS:
            text = (f"reject for part {notice.part_id} arrived {-decision.slack_s * 1000:.0f} ms after it passed the "
                    f"diverter; the part was not diverted")
            log.error(text)
            if self.raise_alarm is not None:
                await self.raise_alarm(Alarm(alarm="deadline_miss", severity="critical", text=text))
        elif decision.outcome is Outcome.DUPLICATE:
            log.info("duplicate verdict for part %s ignored", notice.part_id)
        return decision

    async def _fire_at(self, part_id: str, planned: float) -> None:
        await asyncio.sleep(max(planned - time.time(), 0.0))
        self.fire_lateness_s.append(time.time() - planned)
        await self.actuator.fire(part_id, planned + self.scheduler.config.actuation_lead_s)

    async def settle(self) -> None:
        """Wait until every scheduled command has been issued (end of a run)."""
        while self._scheduled:
            await asyncio.gather(*self._scheduled)
