"""Alerts stage: the re-alert policy and grouping (pure: state and `now` in, decisions out).

Re-alert: per trigger and finding, the first firing is sent at once; while the finding keeps
firing, the next notification waits `min_interval_secs`, then twice that, four times… up to
`max_interval_secs` (exponential back-off). A held-back firing is not lost: it is sent when its
wait is over, saying how many firings were held back, unless the finding resolved meanwhile.
A finding quiet for `max_interval_secs` starts again from no wait. A recovery notice
(`resolved`) is sent only for a finding this trigger announced (or when the trigger listens to
`resolved` only).

Grouping: notifications of one trigger and event kind that become due within
`group_window_secs` of the first are sent as one message (≤ `MAX_FINDINGS_PER_NOTIFICATION`
findings listed, the rest counted in `more_count`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from loghealth.alerts.base import FindingNotice
from loghealth.alerts.routing import FIRING_EVENTS, TriggerRule
from loghealth.engine.lifecycle import EventKind

__all__ = [
    "MAX_FINDINGS_PER_NOTIFICATION",
    "AlertState",
    "Decision",
    "Group",
    "Grouper",
    "Holds",
    "decide",
    "realert_gap_secs",
]

MAX_FINDINGS_PER_NOTIFICATION = 20
"""Findings listed in one grouped message (most severe, then most hits, first)."""


@dataclass(frozen=True, slots=True)
class AlertState:
    """What one trigger remembers about one finding (times aware UTC).

    `streak`: notifications sent while the finding kept firing (drives the back-off);
    `suppressed_count`: firings held back since the last notification; `has_announced`: a
    firing notification was sent and no recovery notice since.
    """

    streak: int = 0
    suppressed_count: int = 0
    has_announced: bool = False
    last_sent_at: datetime | None = None
    last_fired_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Send now (`suppressed_count` to report), or hold until `hold_until` (None: drop)."""

    is_sent: bool
    state: AlertState
    suppressed_count: int = 0
    hold_until: datetime | None = None


def realert_gap_secs(streak: int, min_interval_secs: float, max_interval_secs: float) -> float:
    """Seconds to wait after the `streak`-th notification: 0, min, 2×min, 4×min… ≤ max."""
    if streak <= 0:
        return 0.0
    return float(min(min_interval_secs * 2 ** min(streak - 1, 60), max_interval_secs))


def _recovery(state: AlertState, rule: TriggerRule) -> Decision:
    if rule.events & FIRING_EVENTS and not state.has_announced:
        return Decision(False, state)  # never announced: no recovery notice
    return Decision(True, replace(state, has_announced=False))


def decide(state: AlertState, kind: EventKind, rule: TriggerRule, now: datetime) -> Decision:
    """Apply the re-alert policy to a firing (or `resolved`) event that passed the filters."""
    if kind is EventKind.RESOLVED:
        return _recovery(state, rule)
    streak = state.streak
    quiet = state.last_fired_at is not None and now - state.last_fired_at >= timedelta(
        seconds=rule.max_interval_secs
    )
    if quiet:
        streak = 0
    gap_secs = realert_gap_secs(streak, rule.min_interval_secs, rule.max_interval_secs)
    gap = timedelta(seconds=gap_secs)
    if state.last_sent_at is None or streak == 0 or now - state.last_sent_at >= gap:
        sent = AlertState(streak + 1, 0, True, now, now)
        return Decision(True, sent, suppressed_count=state.suppressed_count)
    held = replace(state, streak=streak, suppressed_count=state.suppressed_count + 1,
                   last_fired_at=now)  # fmt: skip
    return Decision(False, held, hold_until=state.last_sent_at + gap)


@dataclass(slots=True)
class Group:
    """Notices of one trigger and event kind waiting to be sent together at `due_at`."""

    rule: TriggerRule
    kind: EventKind
    due_at: datetime
    notices: dict[int, FindingNotice] = field(default_factory=dict)
    suppressed_count: int = 0

    def listed(self) -> tuple[tuple[FindingNotice, ...], int]:
        """The findings to list (most severe, then most hits, first) and how many are left out."""
        ordered = sorted(self.notices.values(), key=lambda n: (-n.severity, -n.count, n.id))
        shown = ordered[:MAX_FINDINGS_PER_NOTIFICATION]
        return tuple(shown), len(ordered) - len(shown)


class Grouper:
    """Collects notices into `Group`s by (trigger, event kind) for `group_window_secs`."""

    def __init__(self) -> None:
        self._groups: dict[tuple[int, EventKind], Group] = {}

    def add(
        self, rule: TriggerRule, kind: EventKind, notice: FindingNotice, now: datetime,
        suppressed_count: int = 0,
    ) -> None:  # fmt: skip
        """Add a notice; a later notice of the same finding replaces the earlier one."""
        key = (rule.id, kind)
        group = self._groups.get(key)
        if group is None:
            due = now + timedelta(seconds=rule.group_window_secs)
            group = self._groups[key] = Group(rule, kind, due)
        group.rule = rule  # the newest definition of the trigger
        group.notices[notice.id] = notice
        group.suppressed_count += suppressed_count

    def discard(self, trigger_id: int, kind: EventKind, finding_id: int) -> None:
        """Drop a finding from a waiting group (e.g. it resolved before its group was sent)."""
        group = self._groups.get((trigger_id, kind))
        if group is not None:
            group.notices.pop(finding_id, None)
            if not group.notices:
                del self._groups[(trigger_id, kind)]

    def pop_due(self, now: datetime) -> list[Group]:
        """Remove and return the groups whose window is over at `now`."""
        due = [key for key, group in self._groups.items() if group.due_at <= now]
        return [self._groups.pop(key) for key in due]

    def pop_all(self) -> list[Group]:
        """Remove and return every waiting group (at shutdown)."""
        groups = list(self._groups.values())
        self._groups.clear()
        return groups

    def next_due(self) -> datetime | None:
        """When the next group is due (None: nothing waits)."""
        return min((group.due_at for group in self._groups.values()), default=None)


@dataclass(frozen=True, slots=True)
class _Held:
    kind: EventKind
    notice: FindingNotice
    until: datetime


class Holds:
    """Firings held back by the re-alert policy, by (trigger id, finding id), until their time.

    A newer firing of the same finding replaces the held one (its notice is fresher) but keeps
    the earliest release time.
    """

    def __init__(self) -> None:
        self._held: dict[tuple[int, int], _Held] = {}

    def __len__(self) -> int:
        return len(self._held)

    def hold(
        self, trigger_id: int, kind: EventKind, notice: FindingNotice, until: datetime
    ) -> None:
        """Hold a firing until `until` (aware UTC)."""
        key = (trigger_id, notice.id)
        earlier = self._held.get(key)
        if earlier is not None:
            until = min(until, earlier.until)
        self._held[key] = _Held(kind, notice, until)

    def cancel(self, trigger_id: int, finding_id: int) -> bool:
        """Forget a held firing (the finding resolved); True when one was held."""
        return self._held.pop((trigger_id, finding_id), None) is not None

    def forget_trigger(self, trigger_id: int) -> None:
        """Forget every firing held for a trigger (it was deleted or disabled)."""
        for key in [key for key in self._held if key[0] == trigger_id]:
            del self._held[key]

    def pop_due(self, now: datetime) -> list[tuple[int, EventKind, FindingNotice]]:
        """Remove and return (trigger id, kind, notice) of the firings whose time has come."""
        due = [key for key, held in self._held.items() if held.until <= now]
        released = []
        for key in due:
            held = self._held.pop(key)
            released.append((key[0], held.kind, held.notice))
        return released

    def next_due(self) -> datetime | None:
        """When the next held firing is released (None: nothing is held)."""
        return min((held.until for held in self._held.values()), default=None)
