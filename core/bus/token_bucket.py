"""Token bucket that paces the uplink: sleeps (never spins) until the next message may go."""
from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up. A cost above `burst` is let through when the
    bucket is full, so one large message can never block the queue forever."""

    def __init__(self, rate: float, burst: float) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError(f"token bucket: rate ({rate}) and burst ({burst}) must be positive")
        self.rate, self.burst = rate, burst
        self._tokens = burst
        self._stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def take(self, cost: float) -> None:
        cost = min(cost, self.burst)
        self._refill()
        while self._tokens < cost:
            await asyncio.sleep((cost - self._tokens) / self.rate)
            self._refill()
        self._tokens -= cost
