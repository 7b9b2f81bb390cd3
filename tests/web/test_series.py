"""Chart buckets: aligned to UTC multiples, counting in (start, start + size]."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from loghealth.web.series import SPANS, adaptive_buckets, buckets_until

NOW = datetime(2026, 3, 14, 8, 42, 11, tzinfo=UTC)


def test_day_buckets_are_hours_ending_with_the_current_one() -> None:
    buckets = buckets_until(NOW, SPANS["24h"])
    assert len(buckets.starts) == 24
    assert buckets.starts[-1] == datetime(2026, 3, 14, 8, tzinfo=UTC)
    assert buckets.starts[0] == datetime(2026, 3, 13, 9, tzinfo=UTC)
    assert buckets.labels()[-1] == "08:00"
    times = [NOW, NOW - timedelta(minutes=50), NOW - timedelta(hours=2), NOW - timedelta(days=2)]
    counts = buckets.count(times)
    assert counts[-1] == 1 and counts[-2] == 1 and counts[-3] == 1 and sum(counts) == 3


def test_week_buckets_are_six_hours() -> None:
    buckets = buckets_until(NOW, SPANS["7d"])
    assert len(buckets.starts) == 28
    assert buckets.starts[-1] == datetime(2026, 3, 14, 6, tzinfo=UTC)
    assert buckets.labels()[-1] == "03-14 06:00"
    assert buckets.index(NOW + timedelta(hours=6)) is None


def test_adaptive_buckets_pick_the_smallest_nice_size() -> None:
    minutes = [NOW - timedelta(minutes=m) for m in (0, 3, 10)]
    small = adaptive_buckets(minutes)
    assert small.size_secs == 60 and sum(small.count(minutes)) == 3
    days = [NOW - timedelta(days=d) for d in (0, 3, 9)]
    wide = adaptive_buckets(days)
    assert wide.size_secs == 86_400 and len(wide.starts) == 10 and sum(wide.count(days)) == 3
    assert adaptive_buckets([]).starts == []
    with pytest.raises(ValueError, match="max_buckets"):
        adaptive_buckets(minutes, max_buckets=0)
