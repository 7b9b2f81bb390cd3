"""Engine: the finding life cycle as pure decisions (the store applies them in a transaction).

`open → resolved` (by a user, or automatically after a quiet period) `→ regressed` when it fires
again. `ignored` keeps counting silently; `snoozed` is silent until its time, then reopens.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from loghealth.model import FindingState

__all__ = ["Action", "EventKind", "Transition", "on_action", "on_hits", "should_auto_resolve"]


class EventKind(enum.StrEnum):
    """What the event bus announces about a finding."""

    OPENED = "opened"
    UPDATED = "updated"
    REGRESSED = "regressed"
    RESOLVED = "resolved"
    STATE_CHANGED = "state_changed"


class Action(enum.StrEnum):
    """What a person (CLI/API) can do to a finding."""

    RESOLVE = "resolve"
    REOPEN = "reopen"
    IGNORE = "ignore"
    SNOOZE = "snooze"


@dataclass(frozen=True, slots=True)
class Transition:
    """The state after an input, and the event to publish (None: nothing to announce)."""

    state: FindingState
    event: EventKind | None
    changed: bool


def on_hits(
    state: FindingState | None, snoozed_until: datetime | None, now: datetime
) -> Transition:
    """New hits arrived for a finding in `state` (None: the finding does not exist yet)."""
    if state is None:
        return Transition(FindingState.OPEN, EventKind.OPENED, True)
    if state is FindingState.RESOLVED:
        return Transition(FindingState.REGRESSED, EventKind.REGRESSED, True)
    if state is FindingState.SNOOZED:
        if snoozed_until is not None and snoozed_until > now:
            return Transition(state, None, False)
        return Transition(FindingState.OPEN, EventKind.OPENED, True)
    if state is FindingState.IGNORED:
        return Transition(state, None, False)
    return Transition(state, EventKind.UPDATED, False)


def on_action(state: FindingState, action: Action) -> Transition:
    """A person acted on a finding.

    Raises:
        ValueError: the action makes no sense in this state (e.g. reopen an open finding).
    """
    target = {
        Action.RESOLVE: FindingState.RESOLVED,
        Action.REOPEN: FindingState.OPEN,
        Action.IGNORE: FindingState.IGNORED,
        Action.SNOOZE: FindingState.SNOOZED,
    }[action]
    if action is Action.REOPEN and state.is_active:
        raise ValueError(f"finding is already {state}")
    if action is Action.RESOLVE and state is FindingState.RESOLVED:
        raise ValueError("finding is already resolved")
    event = EventKind.RESOLVED if target is FindingState.RESOLVED else EventKind.STATE_CHANGED
    return Transition(target, event, target is not state or action is Action.SNOOZE)


def should_auto_resolve(
    state: FindingState, last_hit_at: datetime, now: datetime, quiet_secs: int
) -> bool:
    """True when an active finding has had no hit for `quiet_secs` (0 disables auto-resolve)."""
    return quiet_secs > 0 and state.is_active and now - last_hit_at >= timedelta(seconds=quiet_secs)
