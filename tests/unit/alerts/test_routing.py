"""Which trigger fires for which finding event: filters, events, count steps."""

from __future__ import annotations

import pytest

from loghealth.alerts import (
    TriggerFilters,
    TriggerRule,
    compile_message_regex,
    crossed_step,
    should_fire,
)
from loghealth.engine.lifecycle import EventKind
from loghealth.model import Severity
from tests.unit.alerts.notices import notice


@pytest.mark.parametrize(
    ("previous", "current", "step"),
    [(0, 9, None), (9, 10, 10), (9, 12, 10), (10, 99, None), (12, 100, 100), (50, 1200, 1000),
     (99_999, 100_000, 100_000), (100, 100, None)],
)  # fmt: skip
def test_count_steps(previous: int, current: int, step: int | None) -> None:
    assert crossed_step(previous, current) == step


def test_empty_filters_match_everything() -> None:
    assert TriggerFilters().matches(notice())


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"severities": ["error", "critical"]}, True),
        ({"severities": ["warning"]}, False),
        ({"categories": ["environment"]}, True),
        ({"categories": ["bug"]}, False),
        ({"areas": ["database", "disk"]}, True),
        ({"areas": ["network"]}, False),
        ({"sources": ["file:/var/log/postgresql/*"]}, True),
        ({"sources": ["file:/var/log/postgresql/main.log"]}, True),
        ({"sources": ["client:*"]}, False),
        ({"signature_ids": ["postgres-*"]}, True),
        ({"signature_ids": ["nginx-*", "sshd-*"]}, False),
        ({"message_regex": r"too many clients"}, True),
        ({"message_regex": r"^FATAL:\s+sorry"}, True),
        ({"message_regex": r"disk full"}, False),
        # AND: one failing filter is enough to refuse
        ({"severities": ["error"], "areas": ["database"], "message_regex": "nope"}, False),
        ({"severities": ["error"], "areas": ["database"], "sources": ["file:*"]}, True),
    ],
)
def test_filters_are_and_composed(filters: dict, expected: bool) -> None:
    assert TriggerFilters.from_json(filters).matches(notice()) is expected


def test_message_regex_is_compiled_once() -> None:
    compile_message_regex.cache_clear()
    filters = TriggerFilters.from_json({"message_regex": "too many"})
    for _ in range(5):
        assert filters.matches(notice())
    info = compile_message_regex.cache_info()
    assert (info.misses, info.hits) == (1, 4)


def test_a_runaway_regex_counts_as_no_match() -> None:
    filters = TriggerFilters.from_json({"message_regex": r"(x+x+)+y"})
    assert not filters.matches(notice(sample="x" * 5000))


def test_unknown_severity_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown severity"):
        TriggerFilters.from_json({"severities": ["loud"]})


def test_events_and_update_steps() -> None:
    rule = TriggerRule(1, "t", events=frozenset({EventKind.OPENED, EventKind.UPDATED}))
    assert should_fire(rule, EventKind.OPENED, notice(), None)
    assert not should_fire(rule, EventKind.REGRESSED, notice(), None)
    assert not should_fire(rule, EventKind.RESOLVED, notice(), None)
    assert should_fire(rule, EventKind.UPDATED, notice(count=11), 8)
    assert not should_fire(rule, EventKind.UPDATED, notice(count=14), 11)
    assert not should_fire(rule, EventKind.UPDATED, notice(count=11), None)  # unknown before
    every = TriggerRule(2, "all", events=frozenset(EventKind))
    assert not should_fire(every, EventKind.STATE_CHANGED, notice(), None)


def test_filters_apply_after_the_event_check() -> None:
    rule = TriggerRule(1, "t", TriggerFilters(severities=frozenset({Severity.CRITICAL})))
    assert not should_fire(rule, EventKind.OPENED, notice(), None)
    assert should_fire(rule, EventKind.OPENED, notice(severity=Severity.CRITICAL), None)
