"""Alerts stage: which trigger fires for which finding event (pure, no I/O).

A trigger's filters are AND-composed; an empty filter matches everything. Within a filter the
entries are OR-ed. `updated` fires only when the finding's count crosses a step: 10, 100, 1000…
(every power of ten from 10 on), so a finding that keeps hitting alerts a few times, not on
every batch.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import regex  # type: ignore[import-untyped]

from loghealth.alerts.base import FindingNotice
from loghealth.engine.lifecycle import EventKind
from loghealth.model import Severity

__all__ = [
    "FIRING_EVENTS",
    "MESSAGE_REGEX_TIMEOUT_SECS",
    "TRIGGER_EVENTS",
    "TriggerFilters",
    "TriggerRule",
    "compile_message_regex",
    "crossed_step",
    "should_fire",
]

TRIGGER_EVENTS = (EventKind.OPENED, EventKind.UPDATED, EventKind.REGRESSED, EventKind.RESOLVED)
"""The finding events a trigger can fire on (`state_changed` is never notified)."""

FIRING_EVENTS = frozenset({EventKind.OPENED, EventKind.UPDATED, EventKind.REGRESSED})
"""Events that say a finding is (still) firing; `resolved` is the recovery notice."""

MESSAGE_REGEX_TIMEOUT_SECS = 0.05
"""A message regex that takes longer than this on one sample counts as not matching."""


@functools.lru_cache(maxsize=512)
def compile_message_regex(pattern: str) -> regex.Pattern[str]:
    """Compile a trigger's message regex once (cached by its text).

    Raises:
        regex.error: the pattern does not compile (the message says where).
    """
    return regex.compile(pattern)


@dataclass(frozen=True, slots=True)
class TriggerFilters:
    """A trigger's filters. `sources` and `signature_ids` are exact ids or globs (`file:*.log`).

    `message_regex` is searched in the finding's sample line (redacted, first line).
    """

    severities: frozenset[Severity] = frozenset()
    categories: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()
    signature_ids: tuple[str, ...] = ()
    message_regex: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TriggerFilters:
        """Read the stored form (`{"severities": ["error"], …}`; missing keys: no filter).

        Raises:
            ValueError: an unknown severity name.
        """
        return cls(
            severities=frozenset(Severity.parse(s) for s in data.get("severities") or ()),
            categories=frozenset(data.get("categories") or ()),
            areas=frozenset(data.get("areas") or ()),
            sources=tuple(data.get("sources") or ()),
            signature_ids=tuple(data.get("signature_ids") or ()),
            message_regex=data.get("message_regex") or None,
        )

    def matches(self, notice: FindingNotice) -> bool:
        """True when every non-empty filter accepts the finding."""
        if self.severities and notice.severity not in self.severities:
            return False
        if self.categories and notice.category not in self.categories:
            return False
        if self.areas and notice.area not in self.areas:
            return False
        if self.sources and not _any_glob(notice.source_id, self.sources):
            return False
        if self.signature_ids and not _any_glob(notice.signature_id, self.signature_ids):
            return False
        if self.message_regex:
            pattern = compile_message_regex(self.message_regex)
            try:
                found = pattern.search(notice.sample, timeout=MESSAGE_REGEX_TIMEOUT_SECS)
            except TimeoutError:
                return False
            return found is not None
        return True


def _any_glob(value: str, patterns: Iterable[str]) -> bool:
    return any(value == p or fnmatch.fnmatchcase(value, p) for p in patterns)


@dataclass(frozen=True, slots=True)
class TriggerRule:
    """What the dispatcher needs of a trigger: filters, events and the re-alert policy.

    `min_interval_secs`: after a notification about a finding, further firings of it wait at
    least this long; each further notification doubles the wait, up to `max_interval_secs`
    (a finding quiet for `max_interval_secs` starts again from `min_interval_secs`).
    `group_window_secs`: findings that fire within this long of the first are sent as one
    message.
    """

    id: int
    name: str
    filters: TriggerFilters = field(default_factory=TriggerFilters)
    events: frozenset[EventKind] = frozenset({EventKind.OPENED, EventKind.REGRESSED})
    min_interval_secs: float = 300.0
    max_interval_secs: float = 86_400.0
    group_window_secs: float = 5.0


def crossed_step(previous: int, current: int) -> int | None:
    """The highest step (10, 100, 1000…) in (previous, current], or None.

    `crossed_step(9, 12)` is 10; `crossed_step(12, 99)` is None; `crossed_step(50, 1200)` is 1000.
    """
    step, crossed = 10, None
    while step <= current:
        if step > previous:
            crossed = step
        step *= 10
    return crossed


def should_fire(
    rule: TriggerRule, kind: EventKind, notice: FindingNotice, previous_count: int | None
) -> bool:
    """Whether `rule` fires for this event (before the re-alert policy).

    `previous_count` is the finding's count before this event (None: unknown, e.g. after a
    restart); an `updated` event fires only when the count crossed a step since then.
    """
    if kind not in rule.events or kind not in TRIGGER_EVENTS:
        return False
    if kind is EventKind.UPDATED and (
        previous_count is None or crossed_step(previous_count, notice.count) is None
    ):
        return False
    return rule.filters.matches(notice)
