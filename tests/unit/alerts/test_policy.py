"""Re-alert back-off, recovery notices, held firings and grouping (a fake clock: no sleeping)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from loghealth.alerts import AlertState, Grouper, Holds, TriggerRule, decide
from loghealth.alerts.policy import MAX_FINDINGS_PER_NOTIFICATION, realert_gap_secs
from loghealth.engine.lifecycle import EventKind
from loghealth.model import Severity
from tests.unit.alerts.notices import T0, notice

RULE = TriggerRule(
    1, "t", events=frozenset({EventKind.OPENED, EventKind.REGRESSED, EventKind.UPDATED,
                              EventKind.RESOLVED}),
    min_interval_secs=60, max_interval_secs=600, group_window_secs=5,
)  # fmt: skip


def at(secs: float):
    return T0 + timedelta(seconds=secs)


def test_gap_doubles_up_to_the_maximum() -> None:
    assert [realert_gap_secs(n, 60, 600) for n in range(6)] == [0, 60, 120, 240, 480, 600]
    assert realert_gap_secs(10_000, 60, 600) == 600  # no overflow on a long streak


def test_first_firing_is_sent_and_repeats_back_off_exponentially() -> None:
    state = AlertState()
    sent_at = []
    for secs in range(0, 2000, 10):  # the finding fires every 10 s for half an hour
        decision = decide(state, EventKind.UPDATED, RULE, at(secs))
        state = decision.state
        if decision.is_sent:
            sent_at.append(secs)
    assert sent_at[:5] == [0, 60, 180, 420, 900]  # waits of 60, 120, 240, 480 s
    assert all(b - a == 600 for a, b in itertools.pairwise(sent_at[4:]))


def test_a_held_firing_says_when_it_may_go_and_counts_what_was_held() -> None:
    first = decide(AlertState(), EventKind.OPENED, RULE, at(0))
    assert first.is_sent and first.suppressed_count == 0
    held = decide(first.state, EventKind.REGRESSED, RULE, at(10))
    assert not held.is_sent
    assert held.hold_until == at(60)
    again = decide(held.state, EventKind.REGRESSED, RULE, at(20))
    assert again.hold_until == at(60) and again.state.suppressed_count == 2
    released = decide(again.state, EventKind.REGRESSED, RULE, at(60))
    assert released.is_sent and released.suppressed_count == 2
    assert released.state.suppressed_count == 0 and released.state.streak == 2


def test_a_finding_quiet_for_the_maximum_starts_again() -> None:
    state = AlertState(streak=5, has_announced=True, last_sent_at=at(0), last_fired_at=at(0))
    assert not decide(state, EventKind.REGRESSED, RULE, at(599)).is_sent
    fresh = decide(state, EventKind.REGRESSED, RULE, at(600))
    assert fresh.is_sent and fresh.state.streak == 1


def test_recovery_notice_only_for_an_announced_finding() -> None:
    assert not decide(AlertState(), EventKind.RESOLVED, RULE, at(0)).is_sent
    announced = decide(AlertState(), EventKind.OPENED, RULE, at(0)).state
    recovery = decide(announced, EventKind.RESOLVED, RULE, at(1))
    assert recovery.is_sent and not recovery.state.has_announced
    assert not decide(recovery.state, EventKind.RESOLVED, RULE, at(2)).is_sent  # once
    only_resolved = TriggerRule(2, "r", events=frozenset({EventKind.RESOLVED}))
    assert decide(AlertState(), EventKind.RESOLVED, only_resolved, at(0)).is_sent


def test_flapping_keeps_its_back_off_across_recovery() -> None:
    state = decide(AlertState(), EventKind.OPENED, RULE, at(0)).state
    state = decide(state, EventKind.RESOLVED, RULE, at(5)).state
    regress = decide(state, EventKind.REGRESSED, RULE, at(10))
    assert not regress.is_sent and regress.hold_until == at(60)


def test_grouping_window_collects_findings_of_one_trigger_and_kind() -> None:
    grouper = Grouper()
    grouper.add(RULE, EventKind.OPENED, notice(id=1), at(0))
    grouper.add(RULE, EventKind.OPENED, notice(id=2, severity=Severity.CRITICAL), at(3))
    grouper.add(RULE, EventKind.OPENED, notice(id=1, count=9), at(4), suppressed_count=2)
    grouper.add(RULE, EventKind.RESOLVED, notice(id=3), at(4))
    assert grouper.next_due() == at(5)
    assert grouper.pop_due(at(4.9)) == []
    (opened,) = grouper.pop_due(at(5))
    listed, more = opened.listed()
    assert [n.id for n in listed] == [2, 1] and listed[1].count == 9 and more == 0
    assert opened.suppressed_count == 2
    assert grouper.pop_due(at(8.9)) == []
    (resolved,) = grouper.pop_due(at(9))
    assert resolved.kind is EventKind.RESOLVED and list(resolved.notices) == [3]


def test_a_large_group_lists_the_worst_and_counts_the_rest() -> None:
    grouper = Grouper()
    for index in range(1, 31):
        grouper.add(RULE, EventKind.OPENED, notice(id=index, count=index), at(0))
    (group,) = grouper.pop_all()
    listed, more = group.listed()
    assert len(listed) == MAX_FINDINGS_PER_NOTIFICATION and more == 10
    assert listed[0].id == 30


def test_holds_release_on_time_and_cancel_on_recovery() -> None:
    holds = Holds()
    holds.hold(1, EventKind.REGRESSED, notice(id=5), at(60))
    holds.hold(1, EventKind.UPDATED, notice(id=5, count=100), at(90))  # fresher, same slot
    holds.hold(1, EventKind.REGRESSED, notice(id=6), at(30))
    assert holds.next_due() == at(30) and len(holds) == 2
    assert [(k, n.id) for _, k, n in holds.pop_due(at(30))] == [(EventKind.REGRESSED, 6)]
    (released,) = holds.pop_due(at(60))
    assert released[1] is EventKind.UPDATED and released[2].count == 100
    holds.hold(1, EventKind.REGRESSED, notice(id=7), at(100))
    assert holds.cancel(1, 7) and not holds.cancel(1, 7)
    assert holds.pop_due(at(1000)) == []
