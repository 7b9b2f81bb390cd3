"""Remediation over HTTP: the configured actions (secrets masked), the audit, manual runs, and
`auto_heal` on rules (refused when it names no configured action)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from loghealth.clock import SystemClock
from loghealth.model import Area, Category, Severity
from loghealth.settings import Settings
from loghealth.store.repository import Batch, FindingDelta
from tests.api.conftest import Api, make_settings, run_api

PROBLEM = "application/problem+json"
PYTHON = sys.executable
ECHO = "import os; print('fixing', os.environ['LOGHEALTH_FINDING_ID'], os.environ['SECRET'])"


def remediation(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "enabled": True,
        "auto_heal": {"wobble": "echo"},
        "actions": {
            "echo": {"type": "command", "argv": [PYTHON, "-c", ECHO],
                     "env": {"SECRET": "very-secret-value"}, "pass_env": ["HOME"]},
            "restart-web": {"type": "container_restart", "container": "web", "cooldown_secs": 60},
        },
    }  # fmt: skip
    values.update(overrides)
    return values


def settings_with(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return make_settings(database_url, tmp_path, remediation=remediation(**overrides))


def add_finding(api: Api, signature_id: str = "boom") -> int:
    assert api.pipeline is not None
    batch = Batch()
    batch.deltas[signature_id] = FindingDelta(
        signature_id, "rules", Severity.ERROR, Category.BUG, Area.PROCESS, "docker:web", count=1
    )
    [event] = api.pipeline.store.commit(batch, SystemClock().now())
    return event.finding.id


def test_configured_actions_are_listed_without_secrets(database_url: str, tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        response = await api.http.get("/api/v1/actions", headers=api.auth("admin"))
        assert response.status_code == 200, response.text
        body = response.json()
        assert "very-secret-value" not in response.text
        assert (body["is_enabled"], body["is_dry_run"], body["problems"]) == (True, False, [])
        echo, restart = body["actions"]
        assert (echo["name"], echo["type"], echo["cooldown_secs"]) == ("echo", "command", 300)
        assert echo["settings"]["env"] == {"SECRET": "**********"}
        assert echo["settings"]["pass_env"] == ["HOME"]
        assert echo["signatures"] == ["wobble"]
        assert restart["settings"] == {
            "type": "container_restart", "host": None, "container": "web", "timeout_secs": 10,
            "cooldown_secs": 60,
        }  # fmt: skip
        viewer = await api.http.get("/api/v1/actions", headers=api.auth("viewer"))
        assert viewer.status_code == 403

    run_api(settings_with(database_url, tmp_path), scenario)


def test_a_manual_run_is_audited_and_visible(database_url: str, tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        finding_id = add_finding(api)
        admin = api.auth("admin")
        ran = await api.http.post(
            "/api/v1/actions/echo/run", params={"finding_id": finding_id}, headers=admin
        )
        assert ran.status_code == 200, ran.text
        run = ran.json()
        assert (run["status"], run["exit_code"], run["event"]) == ("succeeded", 0, "manual")
        assert run["actor"] == "token:test-admin" and run["finding_id"] == finding_id
        # the secret the program printed is redacted in the audit
        assert run["output"] == f"fixing {finding_id} <value-1>\n"
        assert run["finished_at"] is not None and run["duration_ms"] > 0

        viewer = api.auth("viewer")
        one = await api.http.get(f"/api/v1/actions/runs/{run['id']}", headers=viewer)
        assert one.json() == run
        page = await api.http.get(
            "/api/v1/actions/runs", params={"finding_id": finding_id}, headers=viewer
        )
        assert page.json() == {"items": [run], "total": 1, "limit": 50, "offset": 0}
        for params in ({"finding_id": finding_id + 1}, {"action": "restart-web"},
                       {"status": ["failed", "dry_run"]}):  # fmt: skip
            empty = await api.http.get("/api/v1/actions/runs", params=params, headers=viewer)
            assert empty.json()["total"] == 0, params
        bad = await api.http.get("/api/v1/actions/runs", params={"status": "x"}, headers=viewer)
        assert bad.status_code == 422
        missing = await api.http.get("/api/v1/actions/runs/999", headers=viewer)
        assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM

        for path, params in (
            ("/api/v1/actions/nope/run", {"finding_id": finding_id}),
            ("/api/v1/actions/echo/run", {"finding_id": 9999}),
        ):
            response = await api.http.post(path, params=params, headers=admin)
            assert response.status_code == 404, response.text
        assert (await api.http.get("/api/v1/actions/runs", headers=viewer)).json()["total"] == 1

    run_api(settings_with(database_url, tmp_path), scenario)


@pytest.mark.parametrize("mode", ["disabled", "dry_run"])
def test_manual_runs_respect_the_kill_switch_and_dry_run(
    database_url: str, tmp_path: Path, mode: str
) -> None:
    overrides = {"enabled": False} if mode == "disabled" else {"dry_run": True}

    async def scenario(api: Api) -> None:
        finding_id = add_finding(api)
        response = await api.http.post(
            "/api/v1/actions/restart-web/run", params={"finding_id": finding_id},
            headers=api.auth("admin"),
        )  # fmt: skip
        [audited] = (await api.http.get("/api/v1/actions/runs", headers=api.auth("viewer"))).json()[
            "items"
        ]
        if mode == "disabled":
            assert response.status_code == 409 and response.headers["content-type"] == PROBLEM
            assert f"audited as run {audited['id']}" in response.json()["detail"]
            assert audited["status"] == "skipped_disabled"
        else:
            assert response.status_code == 200
            assert response.json() == audited
            assert audited["status"] == "dry_run"
            assert audited["output"] == "would restart container web"
        assert audited["exit_code"] is None

    run_api(settings_with(database_url, tmp_path, **overrides), scenario)


def test_rules_may_only_name_configured_actions(database_url: str, tmp_path: Path) -> None:
    rule = {"id": "flux", "patterns": ["flux"], "severity": "error", "category": "bug",
            "area": "process"}  # fmt: skip

    async def scenario(api: Api) -> None:
        admin = api.auth("admin")
        refused = await api.http.post(
            "/api/v1/rules", json={**rule, "auto_heal": "ghost"}, headers=admin
        )
        assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
        [error] = refused.json()["errors"]
        assert error["loc"] == "body.auto_heal"
        assert error["msg"] == "no remediation action 'ghost' (echo, restart-web)"
        created = await api.http.post(
            "/api/v1/rules", json={**rule, "auto_heal": "echo"}, headers=admin
        )
        assert created.status_code == 201, created.text
        assert created.json()["spec"]["auto_heal"] == "echo"
        patched = await api.http.patch(
            "/api/v1/rules/flux", json={"auto_heal": "nope"}, headers=admin
        )
        assert patched.status_code == 422
        listed = (await api.http.get("/api/v1/actions", headers=admin)).json()
        assert listed["actions"][0]["signatures"] == ["flux", "wobble"]  # the live engine
        cleared = await api.http.patch(
            "/api/v1/rules/flux", json={"auto_heal": None}, headers=admin
        )
        assert cleared.status_code == 200 and "auto_heal" not in cleared.json()["spec"]

    run_api(settings_with(database_url, tmp_path), scenario)


def test_pause_round_trip_kept_across_a_new_app(database_url: str, tmp_path: Path) -> None:
    settings = settings_with(database_url, tmp_path)

    async def pause(api: Api) -> None:
        admin = api.auth("admin")
        state = await api.http.get("/api/v1/actions/pause", headers=admin)
        assert state.json() == {"is_paused": False, "reason": "", "actor": None, "changed_at": None}
        paused = await api.http.put(
            "/api/v1/actions/pause", json={"is_paused": True, "reason": "restart loop"},
            headers=admin,
        )  # fmt: skip
        assert paused.status_code == 200, paused.text
        body = paused.json()
        assert (body["is_paused"], body["reason"], body["actor"]) == (
            True, "restart loop", "token:test-admin",
        )  # fmt: skip
        assert api.context.remediation_pause.is_paused() is True  # the runner's cache, at once
        assert api.pipeline is not None and api.pipeline.remediation_pause.is_paused() is True
        again = await api.http.put(
            "/api/v1/actions/pause", json={"is_paused": True, "reason": "x"}, headers=admin
        )
        assert again.json() == body  # no flip: who and since when stay
        for bad in ({"is_paused": "maybe"}, {"is_paused": True, "reason": "x" * 501},
                    {"is_paused": True, "why": "x"}, {}):  # fmt: skip
            refused = await api.http.put("/api/v1/actions/pause", json=bad, headers=admin)
            assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
        viewer = await api.http.put(
            "/api/v1/actions/pause", json={"is_paused": False}, headers=api.auth("viewer")
        )
        assert viewer.status_code == 403 and viewer.headers["content-type"] == PROBLEM

        # a manual run is allowed while paused (pausing is about automatic runs)
        finding_id = add_finding(api)
        ran = await api.http.post(
            "/api/v1/actions/echo/run", params={"finding_id": finding_id}, headers=admin
        )
        assert ran.status_code == 200 and ran.json()["status"] == "succeeded"

    async def resume(api: Api) -> None:
        admin = api.auth("admin")
        listed = (await api.http.get("/api/v1/actions", headers=admin)).json()
        assert listed["pause"]["is_paused"] is True
        assert listed["pause"]["reason"] == "restart loop"
        resumed = await api.http.put(
            "/api/v1/actions/pause", json={"is_paused": False}, headers=api.auth("superadmin")
        )
        assert resumed.status_code == 200
        assert (resumed.json()["is_paused"], resumed.json()["actor"]) == (
            False, "token:test-superadmin",
        )  # fmt: skip
        state = (await api.http.get("/api/v1/actions/pause", headers=admin)).json()
        assert state == resumed.json()

    run_api(settings, pause)
    run_api(settings, resume, with_pipeline=False)  # a new app and store over the same database
