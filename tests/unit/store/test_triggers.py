"""The trigger store on SQLite and PostgreSQL: definitions, deliveries, health, re-alert state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from loghealth.model import Area, Category, Severity
from loghealth.store import triggers as trigger_module
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.repository import Batch, FindingDelta, Store, fingerprint
from loghealth.store.triggers import DeliveryStatus, StoredAlertState, TriggerStore

NOW = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
DEFINITION = {
    "name": "ops", "enabled": True, "filters": {"severities": ["error"]}, "events": ["opened"],
    "notifier": {"type": "webhook", "url": "http://h.test/", "secret": "k", "headers": {}},
    "min_interval_secs": 60.0, "max_interval_secs": 600.0, "group_window_secs": 1.0,
}  # fmt: skip


@pytest.fixture
def stores(database_url: str):
    engine = create_store_engine(database_url)
    migrate(engine)
    yield Store(engine), TriggerStore(engine)
    engine.dispose()


def finding_id(store: Store) -> int:
    batch = Batch()
    batch.deltas[fingerprint("disk-full", "file:/a")] = FindingDelta(
        "disk-full", "test", Severity.ERROR, Category.BUG, Area.DISK, "file:/a", 1, NOW, NOW
    )
    (event,) = store.commit(batch, NOW)
    return event.finding.id


def test_definitions_round_trip_and_change(stores) -> None:
    _, triggers = stores
    created = triggers.create(DEFINITION, NOW)
    assert triggers.get(created.id) == created
    assert created.notifier == DEFINITION["notifier"] and created.events == ["opened"]
    before = triggers.version()
    later = NOW + timedelta(seconds=1)
    changed = triggers.update(created.id, {"name": "db", "enabled": False}, later)
    assert (changed.name, changed.enabled, changed.updated_at) == ("db", False, later)
    assert triggers.version() != before
    with pytest.raises(KeyError):
        triggers.update(created.id, {"is_failing": True}, later)  # health is not a definition
    with pytest.raises(KeyError):
        triggers.update(9999, {"name": "x"}, later)
    assert [t.id for t in triggers.list()] == [created.id]


def test_delivery_health_and_pruning(stores, monkeypatch: pytest.MonkeyPatch) -> None:
    _, triggers = stores
    trigger_id = triggers.create(DEFINITION, NOW).id
    monkeypatch.setattr(trigger_module, "DELIVERIES_PER_TRIGGER", 3)
    ids = [triggers.start_delivery(trigger_id, "opened", [1], NOW) for _ in range(5)]
    assert [d.id for d in triggers.deliveries(trigger_id)] == ids[:1:-1]  # the newest 3
    assert triggers.deliveries(trigger_id)[0].status is DeliveryStatus.PENDING
    for delivery_id in ids[2:4]:
        triggers.finish_delivery(delivery_id, is_delivered=False, attempts=5, error="HTTP 500",
                                 status_code=500, now=NOW, failing_after=2)  # fmt: skip
    trigger = triggers.get(trigger_id)
    assert (trigger.consecutive_failures, trigger.is_failing) == (2, True)
    test_id = triggers.start_delivery(trigger_id, "opened", [0], NOW, is_test=True)
    triggers.finish_delivery(test_id, is_delivered=True, attempts=1, error=None,
                             status_code=200, now=NOW, failing_after=2)  # fmt: skip
    assert triggers.get(trigger_id).is_failing  # a test does not clear the mark
    triggers.finish_delivery(ids[4], is_delivered=True, attempts=1, error=None,
                             status_code=200, now=NOW, failing_after=2)  # fmt: skip
    trigger = triggers.get(trigger_id)
    assert (trigger.consecutive_failures, trigger.is_failing) == (0, False)
    assert trigger.last_success_at == NOW and trigger.last_error == "HTTP 500"
    # the test delivery pushed the oldest failed one out (3 kept per trigger)
    assert [d.id for d in triggers.deliveries(status=DeliveryStatus.FAILED)] == [ids[3]]


def test_alert_state_and_delete_cascade(stores) -> None:
    store, triggers = stores
    trigger_id = triggers.create(DEFINITION, NOW).id
    finding = finding_id(store)
    state = StoredAlertState(2, 1, True, NOW, NOW)
    assert triggers.alert_state(trigger_id, finding) is None
    assert triggers.save_alert_state(trigger_id, finding, state)
    assert triggers.alert_state(trigger_id, finding) == state
    assert not triggers.save_alert_state(trigger_id, 987_654, state)  # no such finding
    triggers.start_delivery(trigger_id, "opened", [finding], NOW)
    assert triggers.delete(trigger_id) and not triggers.delete(trigger_id)
    assert triggers.deliveries() == []
    assert triggers.alert_state(trigger_id, finding) is None
    assert not triggers.save_alert_state(trigger_id, finding, state)  # no such trigger
