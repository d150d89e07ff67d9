"""The time window every query is bounded by, and the bucket width its time series are drawn at."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PRESETS: dict[str, timedelta] = {
    "Last 15 minutes": timedelta(minutes=15),
    "Last hour": timedelta(hours=1),
    "Last 6 hours": timedelta(hours=6),
    "Last 24 hours": timedelta(hours=24),
}
DEFAULT_PRESET = "Last hour"
# Bucket widths (s) a chart may use; the smallest that keeps a window within MAX_BUCKETS points.
BUCKET_WIDTHS_S = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)
MAX_BUCKETS = 120


def bucket_for(span: timedelta) -> int:
    """The narrowest bucket width that draws `span` in at most MAX_BUCKETS points."""
    seconds = span.total_seconds()
    return next((w for w in BUCKET_WIDTHS_S if seconds / w <= MAX_BUCKETS), BUCKET_WIDTHS_S[-1])


@dataclass(frozen=True)
class TimeWindow:
    """[start, end) in UTC, and the bucket width its time series use (by default from its length)."""

    start: datetime
    end: datetime
    bucket_s: int = 0

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("TimeWindow needs timezone-aware datetimes")
        if self.end <= self.start:
            raise ValueError(f"time window ends ({self.end:%Y-%m-%d %H:%M}) before it starts "
                             f"({self.start:%Y-%m-%d %H:%M})")
        if not self.bucket_s:
            object.__setattr__(self, "bucket_s", bucket_for(self.end - self.start))

    @classmethod
    def last(cls, span: timedelta, now: datetime | None = None) -> TimeWindow:
        """The `span` up to now, its start moved back to a bucket boundary so that only the newest bucket of a
        time series is partial (it is still filling)."""
        end = now or datetime.now(UTC)
        bucket_s = bucket_for(span)
        start_s = (end - span).timestamp() // bucket_s * bucket_s
        return cls(datetime.fromtimestamp(start_s, UTC), end, bucket_s)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def minutes(self) -> float:
        return self.seconds / 60.0

    def tail(self, span: timedelta) -> TimeWindow:
        """The last `span` of this window (all of it when it is shorter)."""
        return TimeWindow(max(self.start, self.end - span), self.end)

    def bucket_seconds_covered(self, bucket_start_s: int) -> float:
        """How much of the bucket starting at `bucket_start_s` (epoch s) lies inside the window."""
        start, end = self.start.timestamp(), self.end.timestamp()
        return max(min(bucket_start_s + self.bucket_s, end) - max(bucket_start_s, start), 0.0)

    def describe(self) -> str:
        end_format = "%H:%M:%S" if self.start.date() == self.end.date() else "%Y-%m-%d %H:%M:%S"
        return f"{self.start:%Y-%m-%d %H:%M:%S} to {self.end.strftime(end_format)} UTC"
