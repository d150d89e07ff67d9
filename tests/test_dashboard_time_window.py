"""Time windows: presets end now and start on a bucket boundary; bucket widths keep charts within MAX_BUCKETS."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edgesight.dashboards.time_window import MAX_BUCKETS, PRESETS, TimeWindow

NOW = datetime(2026, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)


@pytest.mark.parametrize("span", list(PRESETS.values()))
def test_presets_end_now_and_start_on_a_bucket_boundary(span: timedelta) -> None:
    window = TimeWindow.last(span, NOW)
    assert window.end == NOW
    assert window.start.timestamp() % window.bucket_s == 0
    assert span <= window.end - window.start < span + timedelta(seconds=window.bucket_s)
    assert window.seconds / window.bucket_s <= MAX_BUCKETS + 1


def test_only_the_newest_bucket_is_partial() -> None:
    window = TimeWindow.last(timedelta(hours=1), NOW)
    first = int(window.start.timestamp())
    newest = int(window.end.timestamp()) // window.bucket_s * window.bucket_s
    assert window.bucket_seconds_covered(first) == window.bucket_s
    assert window.bucket_seconds_covered(newest) == pytest.approx(window.end.timestamp() - newest)


def test_a_window_must_be_aware_and_forward() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TimeWindow(NOW.replace(tzinfo=None), NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="before it starts"):
        TimeWindow(NOW, NOW - timedelta(minutes=1))
