"""What every signal-timing algorithm is: a plain object whose decision step is fed the signal status and the
latest trusted measurements (None while they cannot be trusted), and returns the groups it wants green."""
from __future__ import annotations

from typing import Protocol

from edgesight.apps.traffic.control.measurements import MeasurementSnapshot
from edgesight.apps.traffic.control.signal_status import SignalRequest, SignalStatus


class SignalAlgorithm(Protocol):
    plan_id: str

    def decide(self, now: float, status: SignalStatus, measurements: MeasurementSnapshot | None) -> SignalRequest:
        """The stage wanted at `now`. Timing rules are not the algorithm's concern: the safety layer enforces them."""
