"""The notification dispatcher over a real SQLite store and a real loopback receiver.

Time is a movable clock; retry waits move it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loghealth.egress import EgressPolicy
from loghealth.engine.lifecycle import Action
from loghealth.model import Area, Category, Severity
from loghealth.rules.loader import Catalog
from loghealth.runtime.dispatch import NotificationDispatcher
from loghealth.runtime.notify import finding_notice
from loghealth.settings import NotificationSettings
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.repository import Batch, FindingDelta, FindingEvent, Store, fingerprint
from loghealth.store.triggers import DeliveryStatus, TriggerStore
from tests.receiver import Receiver, receiver


@dataclass
class Clock:
    at: datetime = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, secs: float) -> None:
        self.at += timedelta(seconds=secs)


@dataclass
class Harness:
    store: Store
    triggers: TriggerStore
    clock: Clock
    sink: Receiver
    waits: list[float]

    def trigger(self, **fields: Any) -> int:
        values: dict[str, Any] = {
            "name": "ops", "enabled": True, "filters": {}, "events": ["opened", "regressed"],
            "notifier": {"type": "webhook", "url": f"{self.sink.url}/hook", "secret": "k",
                         "headers": {}},
            "min_interval_secs": 60.0, "max_interval_secs": 3600.0, "group_window_secs": 5.0,
        }  # fmt: skip
        values.update(fields)
        return self.triggers.create(values, self.clock.now()).id

    def hits(self, *findings: tuple[str, str, int], severity: Severity = Severity.ERROR) -> list[
        FindingEvent
    ]:  # fmt: skip
        batch = Batch()
        for signature_id, source_id, count in findings:
            batch.deltas[fingerprint(signature_id, source_id)] = FindingDelta(
                signature_id, "test", severity, Category.BUG, Area.DISK, source_id, count,
                self.clock.now(), self.clock.now(), f"{signature_id} sample line", 1,
            )  # fmt: skip
        return self.store.commit(batch, self.clock.now())

    def dispatcher(self, **settings: Any) -> NotificationDispatcher:
        async def sleep(secs: float) -> None:
            self.waits.append(secs)
            self.clock.advance(secs)

        options = NotificationSettings(**{"max_attempts": 3, "retry_base_secs": 2, **settings})
        return NotificationDispatcher(
            self.triggers, options, EgressPolicy(["127.0.0.1"]), self.clock,
            lambda stored: finding_notice(stored, Catalog(), "http://dash.example"), sleep=sleep,
        )  # fmt: skip


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'lh.db'}")
    migrate(engine)
    with receiver() as sink:
        yield Harness(Store(engine), TriggerStore(engine), Clock(), sink, [])
    engine.dispose()


def run(harness: Harness, steps: Callable[[NotificationDispatcher], Awaitable[None]],
        **settings: Any) -> None:  # fmt: skip
    async def main() -> None:
        dispatcher = harness.dispatcher(**settings)
        try:
            await steps(dispatcher)
            await dispatcher.drain(10)
        finally:
            await dispatcher.aclose()

    asyncio.run(main())


def test_findings_opening_together_go_out_as_one_message(harness: Harness) -> None:
    trigger_id = harness.trigger(filters={"severities": ["error", "critical"]})

    async def steps(dispatcher: NotificationDispatcher) -> None:
        both = harness.hits(("disk-full", "file:/a", 2), ("disk-full", "file:/b", 1))
        await dispatcher.handle(both)
        harness.clock.advance(2)
        await dispatcher.handle(harness.hits(("inode-full", "file:/a", 1)))
        await dispatcher.handle(harness.hits(("noise", "file:/c", 1), severity=Severity.INFO))
        await dispatcher.flush()
        assert harness.sink.requests == []  # the grouping window (5 s) is still open
        harness.clock.advance(3)
        await dispatcher.flush()
        await dispatcher.drain(10)

    run(harness, steps)
    (got,) = harness.sink.wait_for(1)
    body = got.json()
    assert body["event"] == "opened"
    assert sorted(f["signature_id"] for f in body["findings"]) == [
        "disk-full", "disk-full", "inode-full"
    ]  # fmt: skip
    assert body["findings"][0]["dashboard_url"].startswith("http://dash.example/findings/")
    assert "x-loghealth-signature" in got.headers
    (delivery,) = harness.triggers.deliveries(trigger_id)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert delivery.status_code == 200 and len(delivery.finding_ids) == 3
    assert harness.triggers.get(trigger_id).last_success_at == harness.clock.now()


def test_repeats_are_held_back_then_sent_with_the_count(harness: Harness) -> None:
    trigger_id = harness.trigger(events=["opened", "regressed", "resolved"], group_window_secs=0)

    async def steps(dispatcher: NotificationDispatcher) -> None:
        (opened,) = harness.hits(("disk-full", "file:/a", 1))
        await dispatcher.handle([opened])
        await dispatcher.flush()
        harness.clock.advance(10)
        resolved = harness.store.act(opened.finding.id, Action.RESOLVE, "test", harness.clock.now())
        await dispatcher.handle([resolved])
        await dispatcher.flush()
        harness.clock.advance(10)
        await dispatcher.handle(harness.hits(("disk-full", "file:/a", 1)))  # regressed at 20 s
        await dispatcher.flush()
        await dispatcher.drain(10)
        assert len(harness.sink.requests) == 2  # opened + recovery; the regression waits
        harness.clock.advance(39)
        await dispatcher.flush()
        assert len(harness.sink.requests) == 2
        harness.clock.advance(1)  # 60 s after the first notification
        await dispatcher.flush()

    run(harness, steps)
    bodies = [r.json() for r in harness.sink.wait_for(3)]
    assert [b["event"] for b in bodies] == ["opened", "resolved", "regressed"]
    assert bodies[2]["suppressed_count"] == 1
    assert bodies[1]["title"].startswith("[loghealth] error: disk-full resolved")
    assert [d.event for d in harness.triggers.deliveries(trigger_id)] == [
        "regressed", "resolved", "opened"
    ]  # fmt: skip


def test_a_resolved_finding_cancels_its_held_repeat(harness: Harness) -> None:
    harness.trigger(events=["opened", "regressed"], group_window_secs=0)

    async def steps(dispatcher: NotificationDispatcher) -> None:
        (opened,) = harness.hits(("disk-full", "file:/a", 1))
        await dispatcher.handle([opened])
        harness.clock.advance(5)
        resolved = harness.store.act(opened.finding.id, Action.RESOLVE, "t", harness.clock.now())
        harness.clock.advance(5)
        regressed = harness.hits(("disk-full", "file:/a", 1))
        await dispatcher.handle([resolved, *regressed])
        assert len(dispatcher.holds) == 1
        harness.clock.advance(5)
        again = harness.store.act(opened.finding.id, Action.RESOLVE, "t", harness.clock.now())
        await dispatcher.handle([again])
        assert len(dispatcher.holds) == 0
        harness.clock.advance(3600)
        await dispatcher.flush()

    run(harness, steps)
    assert [r.json()["event"] for r in harness.sink.wait_for(1)] == ["opened"]


def test_updates_fire_when_the_count_crosses_a_step(harness: Harness) -> None:
    harness.trigger(events=["updated"], group_window_secs=0, min_interval_secs=0)

    async def steps(dispatcher: NotificationDispatcher) -> None:
        for count in (3, 5, 4, 90, 3):  # totals 3, 8, 12 (crosses 10), 102 (100), 105
            await dispatcher.handle(harness.hits(("disk-full", "file:/a", count)))
            await dispatcher.flush()
            harness.clock.advance(1)

    run(harness, steps)
    bodies = [r.json() for r in harness.sink.wait_for(2)]
    assert [b["findings"][0]["count"] for b in bodies] == [12, 102]
    assert len(harness.sink.requests) == 2


def test_failing_deliveries_are_retried_recorded_and_mark_the_trigger(harness: Harness) -> None:
    trigger_id = harness.trigger(group_window_secs=0)
    harness.sink.answer(*[500] * 6)

    async def steps(dispatcher: NotificationDispatcher) -> None:
        for source in ("file:/a", "file:/b"):
            await dispatcher.handle(harness.hits(("disk-full", source, 1)))
            await dispatcher.flush()
            await dispatcher.drain(10)

    run(harness, steps, failing_after=2)
    assert harness.waits == [2, 4, 2, 4]  # exponential back-off between the 3 attempts
    assert len(harness.sink.requests) == 6
    deliveries = harness.triggers.deliveries(trigger_id)
    assert [(d.status, d.attempts, d.last_error) for d in deliveries] == [
        (DeliveryStatus.FAILED, 3, "HTTP 500: ok")
    ] * 2
    trigger = harness.triggers.get(trigger_id)
    assert trigger.is_failing and trigger.consecutive_failures == 2
    assert trigger.last_error == "HTTP 500: ok"

    async def recover(dispatcher: NotificationDispatcher) -> None:
        await dispatcher.handle(harness.hits(("disk-full", "file:/c", 1)))
        await dispatcher.flush()

    run(harness, recover, failing_after=2)
    trigger = harness.triggers.get(trigger_id)
    assert not trigger.is_failing and trigger.consecutive_failures == 0
    assert trigger.last_error == "HTTP 500: ok"  # kept for reference


def test_disabled_and_deleted_triggers_send_nothing(harness: Harness) -> None:
    harness.trigger(enabled=False, group_window_secs=0)
    gone = harness.trigger(group_window_secs=10)

    async def steps(dispatcher: NotificationDispatcher) -> None:
        await dispatcher.handle(harness.hits(("disk-full", "file:/a", 1)))
        harness.triggers.delete(gone)
        harness.clock.advance(10)
        await dispatcher.flush()

    run(harness, steps)
    assert harness.sink.requests == []
    assert harness.triggers.deliveries() == []  # the delivery of the deleted trigger went too


def test_a_hanging_receiver_never_blocks_dispatching(harness: Harness) -> None:
    silent = socket.socket()  # accepts connections (backlog) but never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    trigger_id = harness.trigger(group_window_secs=0, notifier={"type": "webhook", "url": url})

    async def steps(dispatcher: NotificationDispatcher) -> None:
        async with asyncio.timeout(2):  # routing and scheduling return at once
            await dispatcher.handle(harness.hits(("disk-full", "file:/a", 1)))
            await dispatcher.flush()
            await dispatcher.handle(harness.hits(("disk-full", "file:/b", 1)))
            await dispatcher.flush()
        await asyncio.sleep(0.2)  # let both deliveries start
        assert {d.status for d in harness.triggers.deliveries(trigger_id)} == {
            DeliveryStatus.PENDING
        }
        await dispatcher.drain(0.1)  # shutdown: in-flight deliveries are cut and recorded

    try:
        run(harness, steps, timeout_secs=30)
    finally:
        silent.close()
    deliveries = harness.triggers.deliveries(trigger_id)
    assert [(d.status, d.last_error) for d in deliveries] == [
        (DeliveryStatus.FAILED, "stopped before it was delivered")
    ] * 2
