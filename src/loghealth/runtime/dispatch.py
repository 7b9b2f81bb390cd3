"""Runtime: the notification dispatcher — finding events in, trigger deliveries out.

It reads a bounded bus queue (a slow receiver never slows the engine: the bus drops the oldest
events and counts them), routes each event through the enabled triggers (`alerts.routing`),
applies the re-alert policy and grouping (`alerts.policy`), and delivers in background tasks
with retries (`alerts.delivery`), recording every delivery (`store.triggers`). It never
publishes finding events itself, so a notification cannot trigger another one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

import httpx
from pydantic import ValidationError

from loghealth.alerts import (
    AlertState,
    Attempt,
    DeliveryOutcome,
    FindingNotice,
    Grouper,
    Holds,
    Notification,
    Notifier,
    TriggerFilters,
    TriggerRule,
    build_notifier,
    decide,
    deliver,
    parse_notifier,
    should_fire,
)
from loghealth.alerts.delivery import Sleep
from loghealth.alerts.policy import Group
from loghealth.clock import Clock
from loghealth.egress import EgressPolicy, egress_client
from loghealth.engine.lifecycle import EventKind
from loghealth.settings import NotificationSettings
from loghealth.store.repository import FindingEvent, StoredFinding
from loghealth.store.triggers import StoredAlertState, StoredTrigger, TriggerStore

__all__ = ["MAX_PENDING_DELIVERIES", "NotificationDispatcher", "trigger_rule"]

MAX_PENDING_DELIVERIES = 1000
"""Deliveries waiting or in flight at once; a group beyond this is recorded as failed."""

_TICK_SECS = 0.5
_COUNTS_KEPT = 100_000
_log = logging.getLogger(__name__)


def trigger_rule(trigger: StoredTrigger) -> TriggerRule:
    """The routing view of a stored trigger.

    Raises:
        ValueError: a stored filter or event name is not valid.
    """
    return TriggerRule(
        id=trigger.id, name=trigger.name, filters=TriggerFilters.from_json(trigger.filters),
        events=frozenset(EventKind(name) for name in trigger.events),
        min_interval_secs=trigger.min_interval_secs, max_interval_secs=trigger.max_interval_secs,
        group_window_secs=trigger.group_window_secs,
    )  # fmt: skip


def _to_state(stored: StoredAlertState | None) -> AlertState:
    if stored is None:
        return AlertState()
    return AlertState(stored.streak, stored.suppressed_count, stored.has_announced,
                      stored.last_sent_at, stored.last_fired_at)  # fmt: skip


class NotificationDispatcher:
    """Routes finding events to triggers and delivers their notifications.

    `notice` turns a stored finding into what messages say (texts and links). `sleep` waits
    between retries (tests inject one that moves their clock).
    """

    def __init__(
        self,
        store: TriggerStore,
        settings: NotificationSettings,
        policy: EgressPolicy,
        clock: Clock,
        notice: Callable[[StoredFinding], FindingNotice],
        *,
        sleep: Sleep = asyncio.sleep,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.store, self.settings, self.policy, self.clock = store, settings, policy, clock
        self.notice, self.sleep = notice, sleep
        self.client = client or egress_client(policy, timeout_secs=settings.timeout_secs)
        self.grouper, self.holds = Grouper(), Holds()
        self.rules: dict[int, TriggerRule] = {}
        self._triggers: dict[int, StoredTrigger] = {}
        self._notifiers: dict[int, tuple[datetime, Notifier]] = {}
        self._version: object = None
        self._counts: dict[int, int] = {}
        self._states: dict[tuple[int, int], AlertState] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(settings.max_concurrent)

    # ---- triggers ---------------------------------------------------------------------------
    async def refresh(self) -> None:
        """Reload the enabled triggers when their definitions changed (one cheap query)."""
        version = await asyncio.to_thread(self.store.version)
        if version == self._version:
            return
        triggers = await asyncio.to_thread(self.store.list)
        self._version = version
        rules, kept = {}, {}
        for trigger in triggers:
            if not trigger.enabled:
                continue
            try:
                rules[trigger.id] = trigger_rule(trigger)
                kept[trigger.id] = trigger
            except ValueError:
                _log.exception("trigger %s cannot be used", trigger.id)
        for gone in set(self.rules) - set(rules):
            self.holds.forget_trigger(gone)
            self._states = {k: v for k, v in self._states.items() if k[0] != gone}
        self.rules, self._triggers = rules, kept

    async def _notifier(self, trigger_id: int) -> Notifier | None:
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            return None
        cached = self._notifiers.get(trigger_id)
        if cached is not None and cached[0] == trigger.updated_at:
            return cached[1]
        try:
            config = parse_notifier(trigger.notifier)
        except ValidationError:
            _log.exception("trigger %s has an invalid notifier", trigger_id)
            return None
        notifier = build_notifier(
            config, self.policy, self.clock, timeout_secs=self.settings.timeout_secs,
            client=self.client,
        )  # fmt: skip
        if cached is not None:
            await cached[1].aclose()
        self._notifiers[trigger_id] = (trigger.updated_at, notifier)
        return notifier

    # ---- events -----------------------------------------------------------------------------
    async def _state(self, trigger_id: int, finding_id: int) -> AlertState:
        key = (trigger_id, finding_id)
        if key not in self._states:
            if len(self._states) >= _COUNTS_KEPT:
                self._states.clear()  # a cache: states are read back from the store
            stored = await asyncio.to_thread(self.store.alert_state, trigger_id, finding_id)
            self._states[key] = _to_state(stored)
        return self._states[key]

    async def _decide(
        self, rule: TriggerRule, kind: EventKind, notice: FindingNotice, now: datetime
    ) -> None:
        state = await self._state(rule.id, notice.id)
        decision = decide(state, kind, rule, now)
        self._states[(rule.id, notice.id)] = decision.state
        new = decision.state
        stored = StoredAlertState(new.streak, new.suppressed_count, new.has_announced,
                                  new.last_sent_at, new.last_fired_at)  # fmt: skip
        await asyncio.to_thread(self.store.save_alert_state, rule.id, notice.id, stored)
        if decision.is_sent:
            self.grouper.add(rule, kind, notice, now, decision.suppressed_count)
        elif decision.hold_until is not None:
            self.holds.hold(rule.id, kind, notice, decision.hold_until)

    async def handle(self, events: Sequence[FindingEvent]) -> None:
        """Route events (after the triggers are refreshed); never raises for one bad event."""
        await self.refresh()
        now = self.clock.now()
        for event in events:
            try:
                await self._handle_one(event, now)
            except Exception:  # one bad event must not stop notifications
                _log.exception("finding event %s of finding %s", event.kind, event.finding.id)

    async def _handle_one(self, event: FindingEvent, now: datetime) -> None:
        notice = self.notice(event.finding)
        previous = self._counts.pop(notice.id, None)
        self._counts[notice.id] = notice.count
        if len(self._counts) > _COUNTS_KEPT:
            del self._counts[next(iter(self._counts))]
        is_quiet = event.kind is EventKind.RESOLVED or not event.finding.state.is_active
        for rule in list(self.rules.values()):
            if is_quiet:
                self.holds.cancel(rule.id, notice.id)  # recovered before its re-alert was due
            if should_fire(rule, event.kind, notice, previous):
                await self._decide(rule, event.kind, notice, now)

    # ---- delivery ---------------------------------------------------------------------------
    async def flush(self) -> None:
        """Release held firings whose time came, and start deliveries of groups that are due."""
        now = self.clock.now()
        for trigger_id, kind, notice in self.holds.pop_due(now):
            rule = self.rules.get(trigger_id)
            if rule is not None:
                await self._decide(rule, kind, notice, now)
        groups = self.grouper.pop_due(now)
        if groups:
            await self.refresh()  # a trigger deleted or disabled meanwhile sends nothing
        for group in groups:
            if group.rule.id in self.rules:
                self._spawn(group)

    def _spawn(self, group: Group) -> None:
        is_dropped = len(self._tasks) >= MAX_PENDING_DELIVERIES
        task = asyncio.create_task(self._deliver(group, is_dropped))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, group: Group, is_dropped: bool) -> None:
        try:
            await self._deliver_group(group, is_dropped)
        except Exception:  # e.g. the store is unavailable: logged, the dispatcher goes on
            _log.exception("delivery for trigger %s", group.rule.id)

    async def _deliver_group(self, group: Group, is_dropped: bool) -> None:
        notices, more = group.listed()
        rule = group.rule
        ids = [notice.id for notice in notices]
        delivery_id = await asyncio.to_thread(
            self.store.start_delivery, rule.id, str(group.kind), ids, self.clock.now()
        )
        notification = Notification(
            group.kind, rule.id, rule.name, notices, self.clock.now(), more,
            group.suppressed_count, delivery_id=delivery_id,
        )  # fmt: skip
        outcome = None
        try:
            if is_dropped:
                raise RuntimeError(f"dropped: {MAX_PENDING_DELIVERIES} deliveries were pending")
            async with self._slots:
                outcome = await self._attempts(rule.id, notification)
        except asyncio.CancelledError:
            await self._finish(delivery_id, False, 0, "stopped before it was delivered", None)
            raise
        except Exception as error:  # recorded on the delivery, never raised
            await self._finish(delivery_id, False, 0, str(error), None)
            return
        await self._finish(delivery_id, outcome.is_delivered, outcome.attempts,
                           outcome.last_error, outcome.status_code)  # fmt: skip
        if not outcome.is_delivered:
            _log.warning(
                "trigger %s (%s): delivery %s failed after %d attempt(s): %s",
                rule.id, rule.name, delivery_id, outcome.attempts, outcome.last_error,
            )  # fmt: skip

    async def _attempts(self, trigger_id: int, notification: Notification) -> DeliveryOutcome:
        notifier = await self._notifier(trigger_id)
        if notifier is None:
            raise RuntimeError("the trigger was deleted, disabled or has an invalid notifier")
        delivery_id = notification.delivery_id or 0

        async def record(attempt: Attempt) -> None:
            await asyncio.to_thread(
                self.store.record_attempt, delivery_id, attempt.number, attempt.error,
                attempt.status_code, self.clock.now(),
            )  # fmt: skip

        return await deliver(
            notifier, notification, max_attempts=self.settings.max_attempts,
            base_secs=self.settings.retry_base_secs, max_secs=self.settings.retry_max_secs,
            sleep=self.sleep, on_attempt=record,
        )  # fmt: skip

    async def _finish(
        self, delivery_id: int, is_delivered: bool, attempts: int, error: str | None,
        status_code: int | None,
    ) -> None:  # fmt: skip
        await asyncio.to_thread(
            self.store.finish_delivery, delivery_id, is_delivered=is_delivered,
            attempts=attempts, error=error, status_code=status_code, now=self.clock.now(),
            failing_after=self.settings.failing_after,
        )  # fmt: skip

    # ---- loop -------------------------------------------------------------------------------
    def _wait_secs(self) -> float:
        due = [d for d in (self.grouper.next_due(), self.holds.next_due()) if d is not None]
        if not due:
            return _TICK_SECS
        left = (min(due) - self.clock.now()).total_seconds()
        return min(max(left, 0.01), _TICK_SECS)

    async def run(self, queue: asyncio.Queue[FindingEvent], stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set; then send what is grouped and wait a little for it."""
        try:
            await self.refresh()
            while not stop.is_set():
                events = []
                with contextlib.suppress(TimeoutError):
                    events.append(await asyncio.wait_for(queue.get(), self._wait_secs()))
                while not queue.empty():
                    events.append(queue.get_nowait())
                try:
                    if events:
                        await self.handle(events)
                    await self.flush()
                except Exception:  # e.g. the store is briefly unavailable: keep dispatching
                    _log.exception("notification dispatch")
            for group in self.grouper.pop_all():
                self._spawn(group)
            await self.drain(self.settings.timeout_secs)
        finally:
            await self.aclose()

    async def drain(self, timeout_secs: float) -> None:
        """Wait up to `timeout_secs` for running deliveries, then cancel the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_secs)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def aclose(self) -> None:
        """Close notifiers and the shared HTTP client."""
        for _, notifier in self._notifiers.values():
            await notifier.aclose()
        self._notifiers.clear()
        await self.client.aclose()
