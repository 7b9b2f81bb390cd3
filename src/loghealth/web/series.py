"""Dashboard: time series for charts — counts of timestamps in fixed UTC buckets.

Buckets are aligned to multiples of their size since the Unix epoch (hours start at :00), so
two requests a minute apart show the same bars. Labels are UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["SPANS", "Buckets", "Span", "adaptive_buckets", "buckets_until"]

_NICE_SIZES_SECS = (60, 300, 900, 3_600, 6 * 3_600, 86_400, 7 * 86_400)


@dataclass(frozen=True, slots=True)
class Span:
    """A chart range: its total length and the size of one bar (both seconds)."""

    total_secs: int
    bucket_secs: int


SPANS: dict[str, Span] = {"24h": Span(86_400, 3_600), "7d": Span(7 * 86_400, 6 * 3_600)}
"""The ranges of the overview's "findings over time" chart, by query value."""


@dataclass(frozen=True, slots=True)
class Buckets:
    """`starts[i]` is the aware-UTC start of bucket i; each lasts `size_secs`."""

    starts: list[datetime]
    size_secs: int

    def index(self, at: datetime) -> int | None:
        """The bucket holding `at`, or None when it lies outside every bucket."""
        if not self.starts:
            return None
        offset = (at - self.starts[0]).total_seconds()
        position = int(offset // self.size_secs)
        return position if 0 <= position < len(self.starts) and offset >= 0 else None

    def count(self, times: Iterable[datetime]) -> list[int]:
        """How many of `times` fall in each bucket (times outside are ignored)."""
        counts = [0] * len(self.starts)
        for at in times:
            position = self.index(at)
            if position is not None:
                counts[position] += 1
        return counts

    def labels(self) -> list[str]:
        """`HH:MM` for buckets under a day, else `MM-DD HH:MM` (UTC)."""
        pattern = "%H:%M" if len(self.starts) * self.size_secs <= 86_400 else "%m-%d %H:%M"
        return [start.strftime(pattern) for start in self.starts]


def _floor(at: datetime, size_secs: int) -> datetime:
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % size_secs, UTC)


def buckets_until(now: datetime, span: Span) -> Buckets:
    """The buckets covering the `span.total_secs` that end with the bucket holding `now`."""
    count = span.total_secs // span.bucket_secs
    last = _floor(now, span.bucket_secs)
    first = last - timedelta(seconds=span.bucket_secs * (count - 1))
    return Buckets(
        [first + timedelta(seconds=span.bucket_secs * i) for i in range(count)], span.bucket_secs
    )


def adaptive_buckets(times: Sequence[datetime], max_buckets: int = 30) -> Buckets:
    """Buckets spanning `times` (any order) with the smallest nice size giving <= `max_buckets`.

    Raises:
        ValueError: `max_buckets` < 1.
    """
    if max_buckets < 1:
        raise ValueError("max_buckets must be at least 1")
    if not times:
        return Buckets([], _NICE_SIZES_SECS[0])
    first, last = min(times), max(times)
    for size in _NICE_SIZES_SECS:
        start = _floor(first, size)
        count = int((last - start).total_seconds() // size) + 1
        if count <= max_buckets or size == _NICE_SIZES_SECS[-1]:
            count = min(count, max_buckets)
            return Buckets([start + timedelta(seconds=size * i) for i in range(count)], size)
    raise AssertionError("unreachable")  # pragma: no cover
