"""Binned latency percentiles: within half a bin of the exact nearest-rank percentile, on both sides of every
decade edge; and the SQL bin expression puts a value in the same bin on SQLite and PostgreSQL."""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Float, literal, select

from edgesight.core.store.config import StoreConfig
from edgesight.core.store.event_store import EventStore
from edgesight.dashboards.latency_bins import BIN_UNIT_MS, LatencyHistogram, bin_of, bin_width, latency_bin
from edgesight.dashboards.portable_sql import PortableSql


def test_percentiles_are_within_half_a_bin_of_nearest_rank() -> None:
    rng = np.random.default_rng(3)
    values = np.round(np.concatenate([rng.lognormal(np.log(40.0), 0.5, 20_000), rng.uniform(0.0, 2.0, 500),
                                      rng.uniform(900.0, 1200.0, 200)]), 2)
    bins, counts = np.unique(bin_of(values), return_counts=True)
    histogram = LatencyHistogram.from_rows(zip(bins, counts, strict=True))
    assert histogram.n == len(values)
    for p, got in histogram.percentiles((1, 50, 90, 95, 99, 99.9)).items():
        exact = float(np.percentile(values, p, method="inverted_cdf"))
        half_bin = bin_width(bin_of(np.array([exact])))[0] * BIN_UNIT_MS / 2
        assert abs(got - exact) <= half_bin + 1e-9, (p, got, exact)


def test_merging_rows_adds_counts_and_empty_has_no_percentiles() -> None:
    merged = LatencyHistogram.from_rows([(5000, 2), (1000, 1), (5000, 3)])  # 5 ms, 1 ms, 5 ms
    assert merged.bins.tolist() == [1000, 5000] and merged.counts.tolist() == [1, 5]
    assert LatencyHistogram.from_rows([]).percentiles() == {}
    assert merged.share_above(4.0) == pytest.approx(5 / 6)


def test_regrouped_keeps_every_sample_and_puts_the_tail_in_the_last_bar() -> None:
    histogram = LatencyHistogram.from_rows([(10_000, 4), (25_500, 3), (900_000, 2)])  # 10 ms, 25.5 ms, 900 ms
    counts = histogram.regrouped(np.array([0.0, 20.0, 40.0]))
    assert counts.tolist() == [4, 5]


@pytest.mark.parametrize("ms", [0.0, 0.004, 0.2, 0.3, 1.999, 9.999, 10.0, 10.06, 99.95, 101.52, 999.9, 1000.0,
                                12345.6, 3.6e6])
def test_sql_bins_match_on_both_backends(ms: float, store_config: StoreConfig) -> None:
    store = EventStore.open(store_config, migrate=False)
    try:
        with store.engine.connect() as conn:
            value = literal(ms, Float)
            got = conn.execute(select(latency_bin(value, PortableSql.of(conn)))).scalar_one()
    finally:
        store.close()
    assert got == bin_of(np.array([ms]))[0], "PostgreSQL's CAST rounds; bins must floor"


def test_bins_are_at_most_two_and_a_half_percent_wide_above_a_fifth_of_a_millisecond() -> None:
    values = np.geomspace(0.2, 20_000.0, 5000)
    assert (bin_width(bin_of(values)) * BIN_UNIT_MS / values).max() <= 0.025 + 1e-12
