"""Delays between reconnection attempts."""
from __future__ import annotations

import random


class ReconnectBackoff:
    """Capped exponential back-off with jitter: initial, x factor each failure, never above `cap`.

    Jitter shortens each delay by up to `jitter` (a fraction), so that cameras which failed together (a switch
    reboot) do not all retry in the same instant, and the cap stays a true upper bound."""

    def __init__(
        self,
        initial: float = 0.5,
        cap: float = 10.0,
        factor: float = 2.0,
        jitter: float = 0.25,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < initial <= cap:
            raise ValueError(f"reconnect back-off: need 0 < initial ({initial}) <= cap ({cap})")
        if factor < 1 or not 0 <= jitter < 1:
            raise ValueError(f"reconnect back-off: need factor >= 1 (got {factor}) and 0 <= jitter < 1 (got {jitter})")
        self.initial, self.cap, self.factor, self.jitter = initial, cap, factor, jitter
        self._rng = rng or random.Random()
        self._failures = 0

    def next_delay(self) -> float:
        base = min(self.cap, self.initial * self.factor**self._failures)
        if base < self.cap:  # stop counting at the cap: factor**failures would overflow a float in time
            self._failures += 1
        return base * (1.0 - self.jitter * self._rng.random())

    def reset(self) -> None:
        self._failures = 0
