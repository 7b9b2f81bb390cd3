"""Auto-heal end to end: a line appended to a watched file → finding → action → audit → API.

`loghealth serve` as the CLI wires it (pipeline, API on a loopback port, remediation service),
real programs as actions, a real SQLite/PostgreSQL store.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from loghealth.api.server import api_service
from loghealth.clock import SystemClock
from loghealth.engine import Engine
from loghealth.engine.lifecycle import EventKind
from loghealth.rules.loader import load_catalog
from loghealth.runtime.heal import (
    heal_context,
    heal_service,
    prune_audit,
    remediation_problems,
)
from loghealth.runtime.pipeline import Pipeline, PipelineOptions
from loghealth.runtime.serve import run_serve
from loghealth.settings import RemediationSettings, Settings
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.remediation import RemediationStore, RunFilter
from loghealth.store.repository import FindingEvent, Store
from loghealth.store.tokens import Role, TokenStore

PYTHON = sys.executable
RULES = """
signatures:
  - {id: boom, patterns: ['BOOM \\d+'], severity: error, category: bug, area: process,
     auto_heal: mark}
  - {id: wobble, patterns: ['WOBBLE'], severity: warning, category: bug, area: process,
     auto_heal: fail}
  - {id: stuck, patterns: ['STUCK'], severity: error, category: bug, area: process,
     auto_heal: hang}
  - {id: ghost, patterns: ['GHOST'], severity: error, category: bug, area: process,
     auto_heal: not-configured}
  - {id: fizz, patterns: ['FIZZ'], severity: error, category: bug, area: process}
"""
MARK = (
    "import os, pathlib; d = pathlib.Path(os.environ['MARKERS']); "
    "(d / os.environ['LOGHEALTH_FINDING_ID']).write_text(os.environ['LOGHEALTH_SIGNATURE_ID'])"
)


def line(text: str) -> str:
    return f"2024-05-01 10:00:00,000 ERROR app: {text}\n"


def serve_settings(tmp_path: Path, database_url: str, log: Path) -> Settings:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    (tmp_path / "markers").mkdir()
    remediation = {
        "enabled": True,
        "auto_heal": {"fizz": "mark"},  # a signature without auto_heal, mapped in the config
        "actions": {
            "mark": {"type": "command", "argv": [PYTHON, "-c", MARK], "cooldown_secs": 0,
                     "env": {"MARKERS": str(tmp_path / "markers"), "TOKEN": "hush-hush-value"}},
            "fail": {"type": "command", "argv": [PYTHON, "-c", "import sys; sys.exit(4)"]},
            "hang": {"type": "command", "argv": ["/bin/sleep", "60"], "timeout_secs": 0.5},
        },
    }  # fmt: skip
    return Settings(
        database_url=database_url, data_dir=tmp_path / "data", packs=[], rules=[rules],
        timezone="UTC", listen="127.0.0.1:0", remediation=remediation,
        sources=[{"type": "file", "paths": [str(log)]}],
    )  # fmt: skip


Scenario = Callable[[httpx.AsyncClient, Callable[[str], None]], Awaitable[None]]


def serve(settings: Settings, log: Path, scenario: Scenario) -> None:
    """Run serve with the API and the remediation service; the scenario gets an admin client."""

    async def main() -> None:
        stop = asyncio.Event()
        ready: list[Pipeline] = []
        bound: asyncio.Future[tuple[str, int]] = asyncio.get_running_loop().create_future()
        services = [
            api_service(settings, SystemClock(), lambda h, p: bound.set_result((h, p))),
            heal_service(settings, SystemClock()),
        ]
        task = asyncio.create_task(
            run_serve(settings, SystemClock(), stop, on_ready=ready.append, services=services)
        )
        try:
            host, port = await asyncio.wait_for(bound, 20)
            tokens = TokenStore(ready[0].store.engine)
            secret = tokens.create("ops", Role.ADMIN, SystemClock().now())[1]
            headers = {"Authorization": f"Bearer {secret}"}

            def append(text: str) -> None:
                with log.open("a") as out:
                    out.write(line(text))

            url = f"http://{host}:{port}/api/v1"
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=20) as http:
                await scenario(http, append)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    asyncio.run(asyncio.wait_for(main(), 120))


async def runs_until(
    http: httpx.AsyncClient, params: dict[str, Any], done: Callable[[list[Any]], bool]
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while True:
        response = await http.get("/actions/runs", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        if done(items):
            return items
        assert time.monotonic() < deadline, f"runs never settled: {items}"
        await asyncio.sleep(0.05)


def _settled(count: int) -> Callable[[list[Any]], bool]:
    return lambda items: len(items) >= count and all(i["status"] != "running" for i in items)


@pytest.mark.slow
def test_auto_heal_runs_audits_and_survives_failing_actions(
    tmp_path: Path, database_url: str
) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    settings = serve_settings(tmp_path, database_url, log)

    async def scenario(http: httpx.AsyncClient, append: Callable[[str], None]) -> None:
        append("BOOM 1")
        [run] = await runs_until(http, {"action": "mark"}, _settled(1))
        assert run["status"] == "succeeded" and run["exit_code"] == 0
        assert (run["event"], run["actor"], run["signature_id"]) == ("opened", "engine", "boom")
        assert run["source_id"] == f"file:{log}"
        marker = tmp_path / "markers" / str(run["finding_id"])
        assert marker.read_text() == "boom"  # the program saw the finding in its environment

        # failing, hanging and undefined actions: each audited, none stops the engine
        append("WOBBLE")
        append("STUCK")
        append("GHOST")
        await runs_until(http, {"status": ["failed", "timed_out", "unknown_action"]}, _settled(3))
        by_action = {r["action"]: r for r in (await http.get("/actions/runs")).json()["items"]}
        assert by_action["fail"]["status"] == "failed" and by_action["fail"]["exit_code"] == 4
        assert by_action["hang"]["status"] == "timed_out"
        assert by_action["hang"]["error"] == "killed after the timeout of 0.5 s"
        assert by_action["not-configured"]["status"] == "unknown_action"

        # the engine still works: a new finding after the failures heals (config mapping)
        append("FIZZ")
        fizz, _boom = await runs_until(http, {"action": "mark", "status": "succeeded"}, _settled(2))
        assert fizz["signature_id"] == "fizz" and fizz["event"] == "opened"
        findings = (await http.get("/findings")).json()
        assert findings["total"] == 5

        # updates of an open finding do not fire (events: opened, regressed)
        append("BOOM 2")
        await asyncio.sleep(0.5)
        assert (await http.get("/actions/runs", params={"action": "mark"})).json()["total"] == 2

        listed = (await http.get("/actions")).json()
        assert listed["is_enabled"] is True and listed["events"] == ["opened", "regressed"]
        mark = next(a for a in listed["actions"] if a["name"] == "mark")
        assert mark["settings"]["env"] == {"MARKERS": "**********", "TOKEN": "**********"}
        assert mark["signatures"] == ["boom", "fizz"]
        assert "hush-hush-value" not in str(listed)
        assert listed["problems"] == [
            "signature ghost: auto_heal 'not-configured' is not an action of "
            "remediation.actions (it will be audited as unknown_action)"
        ]

    serve(settings, log, scenario)


def test_regressed_findings_fire_again(tmp_path: Path, database_url: str) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    settings = serve_settings(tmp_path, database_url, log)

    async def scenario(http: httpx.AsyncClient, append: Callable[[str], None]) -> None:
        append("BOOM 1")
        [run] = await runs_until(http, {"action": "mark"}, _settled(1))
        resolved = await http.post(f"/findings/{run['finding_id']}/resolve")
        assert resolved.status_code == 200, resolved.text
        append("BOOM 2")
        runs = await runs_until(http, {"finding_id": run["finding_id"]}, _settled(2))
        assert [r["event"] for r in runs] == ["regressed", "opened"]
        assert all(r["status"] == "succeeded" for r in runs)

    serve(settings, log, scenario)


def _event(kind: EventKind, pipeline: Pipeline, signature_id: str) -> FindingEvent:
    from loghealth.store.repository import Batch, FindingDelta

    batch = Batch()
    delta = FindingDelta(signature_id, "rules", *_spec(pipeline, signature_id), "file:/a.log", 1)
    batch.deltas[signature_id] = delta
    [event] = pipeline.store.commit(batch, SystemClock().now())
    return FindingEvent(kind, event.finding)


def _spec(pipeline: Pipeline, signature_id: str) -> tuple[Any, Any, Any]:
    signature = pipeline.engine.catalog.get(signature_id)
    assert signature is not None
    spec = signature.spec
    return spec.severity, spec.category, spec.area


def test_which_events_fire_and_what_is_reported(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    engine = create_store_engine(f"sqlite:///{tmp_path / 'lh.db'}")
    migrate(engine)
    catalog = load_catalog([], [rules])
    pipeline = Pipeline(Engine(catalog), Store(engine), SystemClock(), PipelineOptions(tz=UTC))
    settings = RemediationSettings.model_validate(
        {"events": ["updated"], "auto_heal": {"wobble": "mark", "missing-sig": "mark"},
         "actions": {"mark": {"type": "command", "argv": ["/bin/true"]}}}
    )  # fmt: skip
    event = _event(EventKind.OPENED, pipeline, "boom")
    assert heal_context(pipeline, settings, event) is None  # opened is not in events here
    updated = heal_context(pipeline, settings, FindingEvent(EventKind.UPDATED, event.finding))
    assert updated is not None and updated.action == "mark" and updated.event == "updated"
    assert (updated.finding_id, updated.signature_id, updated.severity) == (
        event.finding.id, "boom", "error",
    )  # fmt: skip
    fizz = _event(EventKind.OPENED, pipeline, "fizz")
    assert heal_context(pipeline, settings, FindingEvent(EventKind.UPDATED, fizz.finding)) is None
    problems = remediation_problems(catalog, settings)
    assert [p.split(":")[0] for p in problems] == [
        "signature wobble", "signature stuck", "signature ghost", "remediation.auto_heal",
    ]  # fmt: skip
    engine.dispose()


def test_settings_refuse_mappings_to_undefined_actions_and_bad_names() -> None:
    with pytest.raises(ValueError, match=r"auto_heal\.boom: no action 'restart'"):
        RemediationSettings.model_validate({"auto_heal": {"boom": "restart"}})
    with pytest.raises(ValueError, match="action name 'Bad Name'"):
        RemediationSettings.model_validate(
            {"actions": {"Bad Name": {"type": "command", "argv": ["/bin/true"]}}}
        )
    with pytest.raises(ValueError, match="type"):
        RemediationSettings.model_validate({"actions": {"x": {"type": "shell", "line": "rm"}}})
    assert RemediationSettings().enabled is False  # the kill switch is off by default


def test_shipped_signatures_name_no_action() -> None:
    # actions exist only in an admin's config: a shipped auto_heal would always be unknown
    catalog = load_catalog(None)
    assert catalog.signatures
    assert [s.id for s in catalog.signatures if s.spec.auto_heal is not None] == []


def test_a_pause_stops_automatic_runs_and_survives_a_restart(
    tmp_path: Path, database_url: str
) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    settings = serve_settings(tmp_path, database_url, log)

    async def pause_then_fire(http: httpx.AsyncClient, append: Callable[[str], None]) -> None:
        paused = await http.put("/actions/pause", json={"is_paused": True, "reason": "flapping"})
        assert paused.status_code == 200, paused.text
        assert paused.json()["actor"] == "token:ops"
        append("BOOM 1")
        [run] = await runs_until(http, {"action": "mark"}, _settled(1))
        assert (run["status"], run["actor"], run["event"]) == ("skipped_paused", "engine", "opened")
        assert list((tmp_path / "markers").iterdir()) == []  # the action did not run

    serve(settings, log, pause_then_fire)

    # while serve was down: an audited run older than the retention (pruned at start)
    engine = create_store_engine(database_url)
    old = SystemClock().now() - timedelta(days=settings.remediation.audit_retention_days + 1)
    RemediationStore(engine).start(
        action="mark", action_type="command", event="opened", finding_id=None,
        signature_id="boom", source_id=None, actor="engine", status="succeeded",
        started_at=old, finished_at=old,
    )  # fmt: skip
    engine.dispose()

    async def restarted(http: httpx.AsyncClient, append: Callable[[str], None]) -> None:
        state = (await http.get("/actions/pause")).json()
        assert (state["is_paused"], state["reason"]) == (True, "flapping")
        assert state["actor"] == "token:ops"
        assert (await http.get("/actions")).json()["pause"] == state
        append("FIZZ")
        await runs_until(http, {"status": "skipped_paused"}, _settled(2))
        resumed = await http.put("/actions/pause", json={"is_paused": False})
        assert resumed.status_code == 200 and resumed.json()["is_paused"] is False
        append("WOBBLE")
        await runs_until(http, {"action": "fail", "status": "failed"}, _settled(1))
        audited = (await http.get("/actions/runs")).json()["items"]
        assert [r["status"] for r in audited] == ["failed", "skipped_paused", "skipped_paused"]
        assert list((tmp_path / "markers").iterdir()) == []

    serve(settings, log, restarted)


def test_prune_audit_applies_the_retention_and_logs_failures(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'lh.db'}")
    migrate(engine)
    audit = RemediationStore(engine)
    now = SystemClock().now()
    for days in (0, 1, 2, 40):
        at = now - timedelta(days=days)
        audit.start(
            action="mark", action_type="command", event="opened", finding_id=None,
            signature_id=None, source_id=None, actor="engine", status="dry_run",
            started_at=at, finished_at=at,
        )  # fmt: skip
    settings = RemediationSettings(audit_retention_days=30, audit_max_runs=100)
    assert prune_audit(audit, settings, now) == 1
    assert prune_audit(audit, settings.model_copy(update={"audit_max_runs": 2}), now) == 1
    assert audit.page(RunFilter())[1] == 2
    engine.dispose()
    broken = RemediationStore(create_store_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}"))
    assert prune_audit(broken, settings, now) == 0  # logged, never raised
