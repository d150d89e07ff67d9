"""Latency percentiles from binned counts, the same on SQLite (which has no percentile function) and PostgreSQL.

A query groups samples into bins in SQL (`latency_bin`) and returns only (bin, count) rows; percentiles are read
off the cumulative counts here. One scan of the window serves every percentile, per-stage table, time series and
histogram, and what crosses the wire is bounded by the number of bins, not of samples.

The bins are the store's (core/store/latency_bins.py), so counts the store rolled up at ingest (latency_rollup)
and counts binned here from raw samples add up to the same histogram. Bins are about 2 % of their value wide, in
steps of 1-2-5 per decade, and 2 us wide below 0.2 ms. A percentile is the midpoint of the bin that holds the
nearest-rank sample (rank ceil(p/100 * n)), so it is within half a bin of the exact value: 1.25 % of it at most
above 0.2 ms, 1 us below.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import case
from sqlalchemy.sql.elements import ColumnElement

from edgesight.core.store.latency_bins import RANGES, UNITS_PER_MS

from .portable_sql import PortableSql

PERCENTILES = (50, 90, 95, 99)
BIN_UNIT_MS = 1.0 / UNITS_PER_MS


def latency_bin(ms: ColumnElement[float], sql: PortableSql) -> ColumnElement[int]:
    """SQL: the bin id of a latency in ms. Microseconds first (ms * 1000 is exact for whole microseconds), then
    whole widths, so SQL and `bin_of` agree to the last bit."""
    def floor_to(width: int) -> ColumnElement[int]:
        return sql.floor_int(ms * UNITS_PER_MS / width) * width

    return case(*((ms < upper, floor_to(width)) for upper, width in RANGES[:-1]), else_=floor_to(RANGES[-1][1]))


def bin_of(ms: np.ndarray) -> np.ndarray:
    """The bin ids `latency_bin` gives these latencies (ms), computed the same way in numpy."""
    widths = np.full(ms.shape, RANGES[-1][1], dtype=np.int64)
    for upper, width in reversed(RANGES[:-1]):
        widths[ms < upper] = width
    return (np.floor(ms * UNITS_PER_MS / widths) * widths).astype(np.int64)


def bin_width(bin_id: np.ndarray) -> np.ndarray:
    """Width of each bin, in microseconds."""
    widths = np.full(bin_id.shape, RANGES[-1][1], dtype=np.int64)
    for upper, width in reversed(RANGES[:-1]):
        widths[bin_id < round(upper * UNITS_PER_MS)] = width
    return widths


@dataclass(frozen=True)
class LatencyHistogram:
    """Counts per bin, bins in increasing order."""

    bins: np.ndarray  # int64 bin ids
    counts: np.ndarray  # int64

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, int]]) -> LatencyHistogram:
        """Merge (bin id, count) rows, e.g. several cameras' or time buckets' histograms."""
        pairs = np.array(list(rows), dtype=np.int64).reshape(-1, 2)
        bins, inverse = np.unique(pairs[:, 0], return_inverse=True)
        return cls(bins, np.bincount(inverse.ravel(), weights=pairs[:, 1], minlength=len(bins)).astype(np.int64))

    @classmethod
    def from_frame(cls, rows: pd.DataFrame) -> LatencyHistogram:
        """From a query result with `bin` and `samples` columns."""
        return cls.from_rows(zip(rows.bin, rows.samples, strict=True))

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def percentiles(self, ps: Sequence[float] = PERCENTILES) -> dict[float, float]:
        """p -> latency in ms (nearest rank, to within half a bin). Empty histogram: no entries."""
        if not self.n:
            return {}
        cumulative = np.cumsum(self.counts)
        ranks = np.ceil(np.asarray(ps, dtype=float) / 100.0 * self.n).clip(1, self.n)
        index = np.searchsorted(cumulative, ranks)
        midpoints = (self.bins[index] + bin_width(self.bins[index]) / 2.0) * BIN_UNIT_MS
        return {p: float(v) for p, v in zip(ps, midpoints, strict=True)}

    def share_above(self, limit_ms: float) -> float:
        """Fraction of samples in bins that lie wholly above `limit_ms`."""
        if not self.n:
            return 0.0
        return float(self.counts[self.bins * BIN_UNIT_MS >= limit_ms].sum()) / self.n

    def regrouped(self, edges_ms: np.ndarray) -> np.ndarray:
        """Counts per display bin [edges[i], edges[i+1]) for a histogram chart; each fine bin falls into the
        display bin that holds its midpoint, and samples above the last edge land in the last display bin."""
        midpoints = (self.bins + bin_width(self.bins) / 2.0) * BIN_UNIT_MS
        index = np.clip(np.searchsorted(edges_ms, midpoints, side="right") - 1, 0, len(edges_ms) - 2)
        return np.bincount(index, weights=self.counts, minlength=len(edges_ms) - 1).astype(np.int64)
