"""The store on SQLite and PostgreSQL: migrations, batches, the finding life cycle, checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import StatementError

from loghealth.engine.lifecycle import Action, EventKind
from loghealth.model import Area, Category, FindingState, Severity
from loghealth.store import repository
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.repository import (
    Batch,
    CheckpointData,
    ContainerCursorData,
    FindingDelta,
    SourceSnapshot,
    Store,
    fingerprint,
)

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = create_store_engine(database_url)
    migrate(engine)
    migrate(engine)  # idempotent
    yield Store(engine, catalog_version="generic@1")
    engine.dispose()


def _batch(
    count: int = 1, at: datetime = T0, sample: str = "disk full", source: str = "a.log"
) -> Batch:
    delta = FindingDelta(
        "disk-full",
        "generic",
        Severity.CRITICAL,
        Category.ENVIRONMENT,
        Area.DISK,
        source,
        count=count,
        first_seen=at,
        last_seen=at,
        sample=sample,
        sample_line=7,
        hits=[(at, 7, sample)] * count,
    )
    return Batch(deltas={fingerprint("disk-full", source): delta})


def test_first_hits_open_a_finding_then_update_it(store: Store) -> None:
    [opened] = store.commit(_batch(2), T0)
    assert opened.kind is EventKind.OPENED
    assert opened.finding.state is FindingState.OPEN
    assert opened.finding.finding.count == 2
    [updated] = store.commit(_batch(3, at=T0 + timedelta(minutes=1), sample="newer"), T0)
    assert updated.kind is EventKind.UPDATED
    stored = store.finding(opened.finding.id)
    assert stored is not None
    assert stored.finding.count == 5
    assert stored.finding.first_seen == T0
    assert stored.finding.last_seen == T0 + timedelta(minutes=1)
    assert stored.finding.sample == "newer"
    assert stored.catalog_version == "generic@1"


def test_older_hits_do_not_replace_the_newest_sample(store: Store) -> None:
    store.commit(_batch(1, at=T0 + timedelta(hours=1), sample="new"), T0)
    [event] = store.commit(_batch(1, at=T0, sample="old"), T0)
    assert event.finding.finding.sample == "new"
    assert event.finding.finding.first_seen == T0


def test_resolve_then_fire_again_is_a_regression_with_history(store: Store) -> None:
    [opened] = store.commit(_batch(), T0)
    resolved = store.act(opened.finding.id, Action.RESOLVE, "alice", T0 + timedelta(minutes=1))
    assert resolved.kind is EventKind.RESOLVED and resolved.finding.state is FindingState.RESOLVED
    [again] = store.commit(_batch(), T0 + timedelta(minutes=2))
    assert again.kind is EventKind.REGRESSED and again.finding.state is FindingState.REGRESSED
    history = store.history(opened.finding.id)
    assert [(h["actor"], h["from"], h["to"]) for h in history] == [
        ("engine", None, "open"),
        ("alice", "open", "resolved"),
        ("engine", "resolved", "regressed"),
    ]


def test_ignore_and_snooze_survive_new_hits(store: Store) -> None:
    [opened] = store.commit(_batch(), T0)
    store.act(opened.finding.id, Action.IGNORE, "bob", T0)
    assert store.commit(_batch(), T0 + timedelta(minutes=1)) == []
    ignored = store.finding(opened.finding.id)
    assert ignored is not None and ignored.state is FindingState.IGNORED
    assert ignored.finding.count == 2
    store.act(opened.finding.id, Action.SNOOZE, "bob", T0, until=T0 + timedelta(hours=1))
    assert store.commit(_batch(), T0 + timedelta(minutes=30)) == []
    [reopened] = store.commit(_batch(), T0 + timedelta(hours=2))
    assert reopened.kind is EventKind.OPENED and reopened.finding.state is FindingState.OPEN


def test_invalid_actions_are_refused(store: Store) -> None:
    [opened] = store.commit(_batch(), T0)
    with pytest.raises(ValueError, match="already"):
        store.act(opened.finding.id, Action.REOPEN, "x", T0)
    with pytest.raises(ValueError, match="future"):
        store.act(opened.finding.id, Action.SNOOZE, "x", T0, until=T0)
    with pytest.raises(KeyError):
        store.act(9999, Action.RESOLVE, "x", T0)


def test_auto_resolve_after_quiet_period(store: Store) -> None:
    [opened] = store.commit(_batch(), T0)
    assert store.auto_resolve(T0 + timedelta(seconds=59), quiet_secs=60) == []
    [event] = store.auto_resolve(T0 + timedelta(seconds=60), quiet_secs=60)
    assert event.kind is EventKind.RESOLVED and event.actor == "auto"
    assert store.findings([FindingState.RESOLVED])[0].id == opened.finding.id


def test_hits_are_capped_per_finding(store: Store) -> None:
    [opened] = store.commit(_batch(40), T0)
    store.commit(_batch(40), T0)
    assert store.hit_count(opened.finding.id) == 50


def test_checkpoints_round_trip(store: Store) -> None:
    batch = Batch(checkpoints={"file:/x": CheckpointData("/x", 1, 2, 300, 12)})
    store.commit(batch, T0)
    store.commit(Batch(checkpoints={"file:/x": CheckpointData("/x", 1, 2, 400, 15)}), T0)
    assert store.checkpoints() == {"file:/x": CheckpointData("/x", 1, 2, 400, 15)}
    assert fingerprint("disk-full", "a.log") not in store.fingerprints()


def test_container_cursors_round_trip_with_the_findings_of_their_batch(store: Store) -> None:
    assert store.container_cursors() == {}
    batch = _batch(2, source="docker:web")
    batch.container_cursors["abc"] = ContainerCursorData("web", 1_714_557_600_000_000_000, 3)
    store.commit(batch, T0)
    later = ContainerCursorData("web", 1_714_557_601_000_000_000, 1)
    store.commit(Batch(container_cursors={"abc": later, "def": later}), T0)
    assert store.container_cursors() == {"abc": later, "def": later}
    [finding] = store.findings()
    assert finding.finding.count == 2


def test_a_failed_batch_writes_no_container_cursor(store: Store) -> None:
    batch = _batch(source="docker:web")
    batch.container_cursors["abc"] = ContainerCursorData("web", 10, 1)
    # Written after the cursors in the same transaction: a naive time makes the commit fail.
    naive = T0.replace(tzinfo=None)
    batch.sources["docker:web"] = SourceSnapshot(
        "docker", None, "running", 1, 1, 0, 9, 1, {}, naive
    )
    with pytest.raises(StatementError, match="naive"):
        store.commit(batch, T0)
    assert store.container_cursors() == {}
    assert store.findings() == []


def test_only_the_newest_container_cursors_are_kept(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "CONTAINER_CURSORS_KEPT", 3)
    for n in range(5):
        cursor = ContainerCursorData(f"c{n}", n, 1)
        store.commit(Batch(container_cursors={f"id{n}": cursor}), T0 + timedelta(minutes=n))
    assert sorted(store.container_cursors()) == ["id2", "id3", "id4"]
    # Updating an old cursor makes it one of the newest again.
    store.commit(
        Batch(container_cursors={"id2": ContainerCursorData("c2", 9, 2)}), T0 + timedelta(hours=1)
    )
    store.commit(
        Batch(container_cursors={"id5": ContainerCursorData("c5", 5, 1)}), T0 + timedelta(hours=2)
    )
    assert sorted(store.container_cursors()) == ["id2", "id4", "id5"]
