"""The latency bins, defined once: the store counts samples per bin at ingest (the latency roll-up) and the dashboard
bins raw samples in SQL with the same edges, so both give the same percentiles.

Bins are about 2 % of their value wide, in steps of 1-2-5 per decade (20 us wide from 1 ms, 50 us from 2 ms,
100 us from 5 ms, 200 us from 10 ms, ...), and 2 us wide below 0.2 ms. A bin id is the bin's lower edge in
microseconds.
"""
from __future__ import annotations

import math
from bisect import bisect_right

UNITS_PER_MS = 1000  # a bin id is the bin's lower edge in microseconds
# (upper end of a range in ms, bin width there in microseconds), increasing; every range starts on a multiple of
# its width, and the last range is open.
RANGES: tuple[tuple[float, int], ...] = (
    (0.2, 2), (0.5, 5), (1.0, 10), (2.0, 20), (5.0, 50), (10.0, 100), (20.0, 200), (50.0, 500), (100.0, 1000),
    (200.0, 2000), (500.0, 5000), (1000.0, 10_000), (2000.0, 20_000), (5000.0, 50_000), (10_000.0, 100_000),
    (float("inf"), 200_000),
)
_UPPERS = tuple(upper for upper, _ in RANGES)
# The schema lets any non-negative float through, infinity too; what is slower than this (11.6 days) is counted in
# the bin of this value, so that a bin id stays a finite 64-bit integer.
MAX_BINNED_MS = 1e9


def latency_bin_id(ms: float) -> int:
    """The bin id of one latency in ms. The same float operations as the dashboard's SQL and numpy versions
    (microseconds first, then whole widths), so all three agree to the last bit below MAX_BINNED_MS."""
    ms = min(ms, MAX_BINNED_MS)
    width = RANGES[bisect_right(_UPPERS, ms)][1]
    return math.floor(ms * UNITS_PER_MS / width) * width
