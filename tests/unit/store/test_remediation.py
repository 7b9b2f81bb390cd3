"""The remediation audit's retention and the persisted pause, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.remediation import PauseState, PauseSwitch, RemediationStore, RunFilter

T0 = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)


@pytest.fixture
def audit(database_url: str) -> Iterator[RemediationStore]:
    engine = create_store_engine(database_url)
    migrate(engine)
    yield RemediationStore(engine)
    engine.dispose()


def _decide(audit: RemediationStore, at: datetime, action: str = "mark") -> int:
    return audit.start(
        action=action, action_type="command", event="opened", finding_id=1,
        signature_id="boom", source_id="file:/a.log", actor="engine",
        status="skipped_cooldown", started_at=at, finished_at=at,
    )  # fmt: skip


def _ids(audit: RemediationStore) -> list[int]:
    return sorted(run.id for run in audit.page(RunFilter(), limit=500)[0])


def test_prune_deletes_by_age_then_beyond_the_newest(audit: RemediationStore) -> None:
    ids = [_decide(audit, T0 + timedelta(days=day)) for day in range(10)]
    assert audit.prune(before=T0 + timedelta(days=3), keep_count=100) == 3
    assert _ids(audit) == ids[3:]
    assert audit.prune(before=T0, keep_count=4) == 3  # by count: the newest 4 stay
    assert _ids(audit) == ids[6:]
    assert audit.prune(before=T0, keep_count=4) == 0  # nothing more to do
    with pytest.raises(ValueError, match="keep_count"):
        audit.prune(before=T0, keep_count=0)


def test_pause_flips_are_kept_and_the_newest_is_the_state(audit: RemediationStore) -> None:
    assert audit.pause_state() == PauseState(False, "", None, None)
    audit.set_paused(True, reason="restart loop", actor="token:ops", changed_at=T0)
    later = T0 + timedelta(days=200)
    resumed = audit.set_paused(False, reason="", actor="token:lead", changed_at=later)
    assert audit.pause_state() == resumed == PauseState(False, "", "token:lead", later)
    paused = audit.set_paused(True, reason="again", actor="token:ops", changed_at=later)
    # retention drops old flips, never the current one (however old it is)
    audit.prune(before=later + timedelta(days=1), keep_count=100)
    assert audit.pause_state() == paused


def test_the_switch_caches_the_state_and_survives_a_new_store(database_url: str) -> None:
    engine = create_store_engine(database_url)
    migrate(engine)
    switch = PauseSwitch(RemediationStore(engine), refresh_secs=3600)
    assert switch.is_paused() is False
    other = PauseSwitch(RemediationStore(engine), refresh_secs=3600)
    assert other.is_paused() is False
    switch.set(True, reason="flapping", actor="token:ops", changed_at=T0)
    assert switch.is_paused() is True
    assert other.is_paused() is False  # cached until its refresh ...
    assert other.load().is_paused is True  # ... or a re-read (at start)
    engine.dispose()

    # a restart: a new engine, store and switch read the stored pause
    engine = create_store_engine(database_url)
    restarted = PauseSwitch(RemediationStore(engine))
    assert restarted.state() == PauseState(True, "flapping", "token:ops", T0)
    fresh = PauseSwitch(RemediationStore(engine), refresh_secs=0)
    assert fresh.is_paused() is True
    engine.dispose()


def test_a_stale_switch_keeps_its_state_when_the_store_is_down() -> None:
    class Flaky(RemediationStore):
        is_down = True

        def pause_state(self) -> PauseState:
            if self.is_down:
                raise OperationalError("select", {}, Exception("database is down"))
            return PauseState(is_paused=True)

    store = Flaky(create_store_engine("sqlite://"))
    switch = PauseSwitch(store, refresh_secs=0)
    with pytest.raises(OperationalError):  # never read: fail closed (the decision fails)
        switch.is_paused()
    store.is_down = False
    assert switch.is_paused() is True
    store.is_down = True
    assert switch.is_paused() is True  # read before: the last state read stays
