"""The remediation runner over a real audit store: kill switch, dry run, cooldown, failures."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loghealth.engine import Redactor
from loghealth.remediation import (
    OUTPUT_EXCERPT_CHARS,
    Action,
    ActionContext,
    ActionResult,
    Remediator,
    RunStatus,
    action_secrets,
    build_actions,
)
from loghealth.settings import RemediationSettings
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.remediation import RemediationStore, RunFilter, StoredRun

PYTHON = sys.executable


@dataclass
class MovableClock:
    at: datetime = field(default_factory=lambda: datetime(2026, 3, 14, 8, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.at

    def advance(self, secs: float) -> None:
        self.at += timedelta(seconds=secs)


@dataclass
class ScriptedAction:
    """An action whose run is a coroutine given by the test (to crash or hang on purpose)."""

    name: str
    behaviour: Callable[[], Awaitable[ActionResult]]
    type: str = "command"
    cooldown_secs: int = 0
    runs: int = 0

    async def run(self, context: ActionContext) -> ActionResult:
        self.runs += 1
        return await self.behaviour()

    def describe(self) -> dict[str, Any]:
        return {}

    def preview(self, context: ActionContext) -> str:
        return f"would do {self.name}"


def context(action: str, finding_id: int = 1) -> ActionContext:
    return ActionContext(
        action=action, event="opened", finding_id=finding_id, signature_id="boom",
        source_id="file:/var/log/app.log", severity="error",
    )  # fmt: skip


def marker_settings(tmp_path: Path, **overrides: Any) -> RemediationSettings:
    """One `touch`-like action writing a marker file per run (a real program)."""
    program = (
        "import os, pathlib; d = pathlib.Path(os.environ['MARKERS']); "
        "n = len(list(d.iterdir())); "
        "(d / f'run-{n}').write_text(os.environ['LOGHEALTH_FINDING_ID'])"
    )
    (tmp_path / "markers").mkdir(exist_ok=True)
    values: dict[str, Any] = {
        "enabled": True,
        "actions": {
            "mark": {
                "type": "command", "argv": [PYTHON, "-c", program],
                "env": {"MARKERS": str(tmp_path / "markers")}, "cooldown_secs": 300,
            }
        },
    }  # fmt: skip
    values.update(overrides)
    return RemediationSettings.model_validate(values)


def markers(tmp_path: Path) -> list[str]:
    return sorted(p.read_text() for p in (tmp_path / "markers").iterdir())


@pytest.fixture
def audit(database_url: str) -> Any:
    engine = create_store_engine(database_url)
    migrate(engine)
    yield RemediationStore(engine)
    engine.dispose()


async def settled(audit: RemediationStore, run_id: int | None, timeout: float = 10) -> StoredRun:
    assert run_id is not None
    deadline = time.monotonic() + timeout
    while True:
        run = await asyncio.to_thread(audit.get, run_id)
        assert run is not None
        if run.status != RunStatus.RUNNING:
            return run
        assert time.monotonic() < deadline, "the run did not end"
        await asyncio.sleep(0.02)


def remediator(
    settings: RemediationSettings,
    audit: RemediationStore,
    clock: MovableClock,
    actions: dict[str, Action] | None = None,
) -> Remediator:
    return Remediator(
        settings, actions if actions is not None else build_actions(settings), audit, clock
    )


def test_a_run_is_audited_from_start_to_end(tmp_path: Path, audit: RemediationStore) -> None:
    clock = MovableClock()
    runner = remediator(marker_settings(tmp_path), audit, clock)

    async def main() -> StoredRun:
        run_id = await runner.submit(context("mark", finding_id=42))
        return await settled(audit, run_id)

    run = asyncio.run(main())
    assert markers(tmp_path) == ["42"]
    assert (run.status, run.exit_code, run.error, run.actor, run.event) == (
        "succeeded", 0, None, "engine", "opened",
    )  # fmt: skip
    assert (run.action, run.action_type, run.finding_id, run.signature_id) == (
        "mark", "command", 42, "boom",
    )  # fmt: skip
    assert run.source_id == "file:/var/log/app.log"
    assert run.started_at == clock.at and run.finished_at == clock.at
    assert run.duration_ms is not None and run.duration_ms > 0


def test_kill_switch_off_runs_nothing_and_says_why(tmp_path: Path, audit: RemediationStore) -> None:
    runner = remediator(marker_settings(tmp_path, enabled=False), audit, MovableClock())
    run = asyncio.run(_submit_and_settle(runner, audit, "mark"))
    assert run.status == "skipped_disabled"
    assert run.error == "remediation is disabled (remediation.enabled: false)"
    assert markers(tmp_path) == []


def test_dry_run_records_what_would_run(tmp_path: Path, audit: RemediationStore) -> None:
    runner = remediator(marker_settings(tmp_path, dry_run=True), audit, MovableClock())
    run = asyncio.run(_submit_and_settle(runner, audit, "mark"))
    assert run.status == "dry_run" and run.output.startswith(f"would run: {PYTHON} -c ")
    assert run.finished_at == run.started_at
    assert markers(tmp_path) == []


def test_cooldown_follows_the_clock_and_survives_a_new_runner(
    tmp_path: Path, audit: RemediationStore
) -> None:
    clock = MovableClock()
    settings = marker_settings(tmp_path)

    async def main() -> list[str]:
        statuses = []
        for advance in (0, 1, 298, 1, 0):  # cooldown 300 s: runs at t=0 and t=300
            clock.advance(advance)
            # a new runner each time: the cooldown is read from the audit (restart-safe)
            runner = remediator(settings, audit, clock)
            statuses.append((await settled(audit, await runner.submit(context("mark")))).status)
        return statuses

    assert asyncio.run(main()) == [
        "succeeded", "skipped_cooldown", "skipped_cooldown", "succeeded", "skipped_cooldown",
    ]  # fmt: skip
    assert len(markers(tmp_path)) == 2
    skipped, _ = audit.page(RunFilter(statuses=["skipped_cooldown"]))
    assert skipped[0].error == "ran less than 300 s ago (cooldown_secs)"


def test_a_manual_run_ignores_the_cooldown_but_counts_for_it(
    tmp_path: Path, audit: RemediationStore
) -> None:
    clock = MovableClock()
    runner = remediator(marker_settings(tmp_path), audit, clock)

    async def main() -> tuple[StoredRun, StoredRun, StoredRun]:
        first = await settled(audit, await runner.submit(context("mark")))
        manual_id = await runner.run_now(context("mark"), actor="token:ops")
        manual = await asyncio.to_thread(audit.get, manual_id or 0)
        assert manual is not None
        clock.advance(200)  # 200 s after the manual run, 200 s after the first: still cooling
        automatic = await settled(audit, await runner.submit(context("mark")))
        return first, manual, automatic

    first, manual, automatic = asyncio.run(main())
    assert first.status == "succeeded" and manual.status == "succeeded"
    assert manual.actor == "token:ops" and manual.finished_at is not None  # awaited to its end
    assert automatic.status == "skipped_cooldown"
    assert len(markers(tmp_path)) == 2


def test_an_unknown_action_is_audited_not_raised(audit: RemediationStore) -> None:
    runner = remediator(RemediationSettings(enabled=True), audit, MovableClock())
    run = asyncio.run(_submit_and_settle(runner, audit, "nope"))
    assert run.status == "unknown_action" and run.action_type is None
    assert run.error == "no action 'nope' in remediation.actions"


def test_a_crashing_action_is_audited_and_others_still_run(
    tmp_path: Path, audit: RemediationStore
) -> None:
    async def crash() -> ActionResult:
        raise RuntimeError("the action is broken")

    settings = marker_settings(tmp_path)
    actions: dict[str, Action] = {
        **build_actions(settings),
        "crash": ScriptedAction("crash", crash),
    }
    runner = remediator(settings, audit, MovableClock(), actions)

    async def main() -> tuple[StoredRun, StoredRun]:
        crashed = await settled(audit, await runner.submit(context("crash")))
        marked = await settled(audit, await runner.submit(context("mark", finding_id=5)))
        return crashed, marked

    crashed, marked = asyncio.run(main())
    assert crashed.status == "error" and crashed.error == "RuntimeError: the action is broken"
    assert marked.status == "succeeded" and markers(tmp_path) == ["5"]


def test_a_hanging_action_is_cancelled_at_shutdown_and_audited(
    audit: RemediationStore,
) -> None:
    started = asyncio.Event()

    async def hang() -> ActionResult:
        started.set()
        await asyncio.sleep(3600)
        raise AssertionError("not reached")

    action = ScriptedAction("hang", hang)
    runner = remediator(RemediationSettings(enabled=True), audit, MovableClock(), {"hang": action})

    async def main() -> int | None:
        run_id = await runner.submit(context("hang"))
        await started.wait()
        assert runner.running == 1
        begun = time.monotonic()
        await runner.aclose(grace_secs=0.2)
        assert time.monotonic() - begun < 5
        return run_id

    run_id = asyncio.run(main())
    run = audit.get(run_id or 0)
    assert run is not None and run.status == "error"
    assert run.error == "cancelled: loghealth stopped" and run.finished_at is not None


def test_output_is_redacted_and_capped_in_the_audit(
    tmp_path: Path, audit: RemediationStore
) -> None:
    program = (
        "import os; print('key', os.environ['API_KEY'], 'password=hunter2'); print('y' * 9000)"
    )
    settings = RemediationSettings.model_validate(
        {"enabled": True, "actions": {"leaky": {
            "type": "command", "argv": [PYTHON, "-c", program], "env": {"API_KEY": "k-123456789"},
        }}}
    )  # fmt: skip
    redactor = Redactor(action_secrets(settings))
    runner = Remediator(settings, build_actions(settings), audit, MovableClock(), redactor.redact)
    run = asyncio.run(_submit_and_settle(runner, audit, "leaky"))
    assert run.status == "succeeded"
    assert "k-123456789" not in run.output and "hunter2" not in run.output
    assert run.output.startswith("key <value-1> password=<secret-1>\nyyy")
    assert len(run.output) == OUTPUT_EXCERPT_CHARS + 2 and run.output.endswith(" …")


def test_an_audit_that_fails_is_logged_and_nothing_runs(
    tmp_path: Path, audit: RemediationStore, caplog: pytest.LogCaptureFixture
) -> None:
    audit.engine.dispose()

    class BrokenAudit(RemediationStore):
        def start(self, **fields: Any) -> int:
            raise OSError("disk full")

    runner = remediator(marker_settings(tmp_path), BrokenAudit(audit.engine), MovableClock())
    assert asyncio.run(runner.submit(context("mark"))) is None
    assert markers(tmp_path) == []
    assert "could not be audited" in caplog.text


async def _submit_and_settle(runner: Remediator, audit: RemediationStore, name: str) -> StoredRun:
    return await settled(audit, await runner.submit(context(name)))


def test_audit_pages_and_filters(audit: RemediationStore) -> None:
    at = datetime(2026, 3, 14, tzinfo=UTC)
    for index, (action, status) in enumerate(
        [("a", "succeeded"), ("b", "failed"), ("a", "skipped_cooldown"), ("a", "failed")]
    ):
        audit.start(
            action=action, action_type="command", event="opened", finding_id=index % 2 + 1,
            signature_id="boom", source_id="file:/x", actor="engine", status=status,
            started_at=at + timedelta(seconds=index), finished_at=at,
        )  # fmt: skip
    items, total = audit.page(RunFilter(action="a"), limit=2)
    assert total == 3 and [(r.action, r.status) for r in items] == [
        ("a", "failed"), ("a", "skipped_cooldown"),
    ]  # fmt: skip
    items, total = audit.page(RunFilter(statuses=["failed"], finding_id=2))
    assert total == 2 and {r.action for r in items} == {"a", "b"}
    assert audit.last_started_at("a", ["succeeded", "failed"]) == at + timedelta(seconds=3)
    assert audit.last_started_at("b", ["succeeded"]) is None
    with pytest.raises(KeyError):
        audit.finish(
            999, status="failed", finished_at=at, duration_ms=1, exit_code=1, output="", error=None
        )


def test_paused_automatic_runs_are_audited_and_a_persons_run_is_not_paused(
    tmp_path: Path, audit: RemediationStore
) -> None:
    paused = [True]
    settings = marker_settings(tmp_path)
    runner = Remediator(
        settings, build_actions(settings), audit, MovableClock(), is_paused=lambda: paused[0]
    )

    async def main() -> list[StoredRun]:
        skipped = await settled(audit, await runner.submit(context("mark")))
        manual = await settled(audit, await runner.run_now(context("mark", 7), "token:ops"))
        paused[0] = False
        resumed = await settled(audit, await runner.submit(context("mark", 8)))
        return [skipped, manual, resumed]

    skipped, manual, resumed = asyncio.run(main())
    assert (skipped.status, skipped.actor) == ("skipped_paused", "engine")
    assert skipped.error == "automatic remediation is paused (PUT /api/v1/actions/pause)"
    assert (manual.status, manual.actor) == ("succeeded", "token:ops")
    assert resumed.status == "skipped_cooldown"  # resumed: decided again (the manual run counts)
    assert markers(tmp_path) == ["7"]


def test_the_kill_switch_is_reported_before_the_pause(
    tmp_path: Path, audit: RemediationStore
) -> None:
    settings = marker_settings(tmp_path, enabled=False)
    runner = Remediator(
        settings, build_actions(settings), audit, MovableClock(), is_paused=lambda: True
    )
    assert runner.decide("mark", MovableClock().now()) is RunStatus.SKIPPED_DISABLED
