"""Engine: gating for the live engine — min_count within a window, cooldown, per-source rate limit.

Pure: the caller passes `now` (wall clock, aware UTC) for the cooldown and the token bucket; the
threshold window slides on record time. Hits held before a threshold is met are released together
when it is met; `drops` counts what was refused, by reason.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from loghealth.model import Hit
from loghealth.rules.loader import Signature

__all__ = ["HitGate", "RateLimit"]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Token bucket per source: `hits_per_sec` refill, `burst` capacity (0 disables)."""

    hits_per_sec: float = 50.0
    burst: int = 500


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: datetime


@dataclass(slots=True)
class _Pending:
    hits: deque[Hit]
    met: bool = False
    cooldown_until: datetime | None = None


@dataclass(slots=True)
class HitGate:
    """Decides which hits count. `admit` returns the hits to count now (possibly several)."""

    rate_limit: RateLimit = field(default_factory=RateLimit)
    drops: Counter[str] = field(default_factory=Counter)
    _pending: dict[tuple[str, str], _Pending] = field(default_factory=dict)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def mark_met(self, signature_id: str, source_id: str) -> None:
        """A finding already exists for this fingerprint (e.g. after restart): no threshold."""
        self._pending[(signature_id, source_id)] = _Pending(deque(), met=True)

    def _take_token(self, source_id: str, now: datetime) -> bool:
        limit = self.rate_limit
        if limit.burst <= 0:
            return True
        bucket = self._buckets.get(source_id)
        if bucket is None:
            bucket = self._buckets[source_id] = _Bucket(float(limit.burst), now)
        elapsed = max(0.0, (now - bucket.updated).total_seconds())
        bucket.tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.hits_per_sec)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def admit(self, hit: Hit, signature: Signature, now: datetime) -> list[Hit]:
        """Gate one hit; returns the hits that count now (empty when held or dropped)."""
        source_id = hit.record.source
        key = (hit.signature_id, source_id)
        threshold = signature.spec.threshold
        state = self._pending.get(key)
        if state is None:
            state = self._pending[key] = _Pending(deque(maxlen=threshold.min_count))
        if state.cooldown_until is not None and now < state.cooldown_until:
            self.drops["cooldown"] += 1
            return []
        if not self._take_token(source_id, now):
            self.drops["rate_limit"] += 1
            return []
        if signature.spec.cooldown_secs:
            state.cooldown_until = now + timedelta(seconds=signature.spec.cooldown_secs)
        if state.met:
            return [hit]
        state.hits.append(hit)
        if len(state.hits) < threshold.min_count or not _in_window(
            state.hits, threshold.window_secs
        ):
            return []
        state.met = True
        released = list(state.hits)
        state.hits.clear()
        return released


def _in_window(hits: deque[Hit], window_secs: int | None) -> bool:
    if window_secs is None:
        return True
    first, last = hits[0].record.timestamp, hits[-1].record.timestamp
    if first is None or last is None:
        return True
    return abs((last - first).total_seconds()) <= window_secs
