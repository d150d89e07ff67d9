"""Latency percentiles from binned counts, the same on SQLite (which has no percentile function) and PostgreSQL.

A query groups samples into fine bins in SQL (`latency_bin`) and returns only (bin, count) rows; percentiles
are read off the cumulative counts here. One scan of the window serves every percentile, per-stage table,
time series and histogram, and what crosses the wire is bounded by the number of bins, not of samples.

Bins keep three significant digits: 0.01 ms wide below 10 ms, 0.1 ms below 100 ms, 1 ms below 1 s, and so on.
A percentile is the midpoint of the bin that holds the nearest-rank sample (rank ceil(p/100 * n)), so it is
within half a bin of the exact value: 0.5 % of it above 1 ms, 5 microseconds below.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import case
from sqlalchemy.sql.elements import ColumnElement

from .portable_sql import PortableSql

PERCENTILES = (50, 90, 95, 99)
BIN_UNIT_MS = 0.01  # a bin id is the bin's lower edge in these units
# (upper limit of a decade in ms, bin width in BIN_UNIT_MS) in increasing order; the last decade is open.
DECADES: tuple[tuple[float, int], ...] = ((10.0, 1), (100.0, 10), (1000.0, 100), (10000.0, 1000), (float("inf"), 10000))


def latency_bin(ms: ColumnElement[float], sql: PortableSql) -> ColumnElement[int]:
    """SQL: the bin id of a latency in ms (its lower edge in BIN_UNIT_MS)."""
    whens = [(ms < limit, sql.floor_int(ms / (width * BIN_UNIT_MS)) * width) for limit, width in DECADES[:-1]]
    width = DECADES[-1][1]
    return case(*whens, else_=sql.floor_int(ms / (width * BIN_UNIT_MS)) * width)


def bin_width(bin_id: np.ndarray) -> np.ndarray:
    """Width of each bin, in BIN_UNIT_MS."""
    lower_ms = bin_id * BIN_UNIT_MS
    widths = np.full(bin_id.shape, DECADES[-1][1], dtype=np.int64)
    for limit, width in reversed(DECADES[:-1]):
        widths[lower_ms < limit] = width
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
