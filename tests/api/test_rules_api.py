"""Rules over HTTP: CRUD, validation problems, effective sets, switches, test verdicts, stats,
hot reload into the running engine, and stored rules at `serve` start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest

from loghealth.api.schemas import RuleIn, RulePatchIn
from loghealth.api.schemas.rules import VerdictOut
from loghealth.clock import SystemClock
from loghealth.engine import Gate
from loghealth.rules.schema import SignatureSpec
from loghealth.runtime.serve import build_pipeline
from loghealth.settings import Settings
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.rules import RuleStore, StoredRule
from tests.api.conftest import Api, make_settings, run_api

PROBLEM = "application/problem+json"
RULE: dict[str, Any] = {
    "id": "flux-failed",
    "patterns": [r"flux capacitor (?P<part>\w+) failed"],
    "severity": "error",
    "category": "bug",
    "area": "process",
}


def _lines(*messages: str) -> list[str]:
    return [f"2024-05-01 10:00:0{i},000 {m}" for i, m in enumerate(messages)]


def test_rule_fields_are_the_signature_schema_plus_scope() -> None:
    assert set(RuleIn.model_fields) == set(SignatureSpec.model_fields) | {"scope"}
    assert set(RulePatchIn.model_fields) == set(SignatureSpec.model_fields) - {"id"} | {"scope"}


def test_verdict_gates_are_the_engines() -> None:
    assert set(get_args(VerdictOut.model_fields["gate"].annotation)) == {str(g) for g in Gate}


def test_crud_round_trip(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        admin, viewer = api.auth("admin"), api.auth("viewer")
        created = await api.http.post("/api/v1/rules", json=RULE, headers=admin)
        assert created.status_code == 201, created.text
        rule = created.json()
        assert rule["scope"] == "global" and rule["enabled"] is True
        assert rule["overrides"] is None
        assert rule["spec"] == {key: value for key, value in RULE.items() if key != "id"}
        again = await api.http.post("/api/v1/rules", json=RULE, headers=admin)
        assert again.status_code == 409 and again.headers["content-type"] == PROBLEM

        one = await api.http.get("/api/v1/rules/flux-failed", headers=viewer)
        assert one.json() == rule
        patched = await api.http.patch(
            "/api/v1/rules/flux-failed",
            json={"severity": "critical", "min_level": "WARNING", "scope": "client:c1"},
            headers=admin,
        )
        assert patched.status_code == 200, patched.text
        body = patched.json()
        assert body["scope"] == "client:c1"
        assert body["spec"]["severity"] == "critical" and body["spec"]["min_level"] == "WARNING"
        assert body["spec"]["patterns"] == RULE["patterns"]  # untouched fields stay
        cleared = await api.http.patch(
            "/api/v1/rules/flux-failed", json={"min_level": None, "enabled": False}, headers=admin
        )
        assert "min_level" not in cleared.json()["spec"] and cleared.json()["enabled"] is False

        scoped = await api.http.get("/api/v1/rules?scope=client:c1", headers=viewer)
        assert [r["id"] for r in scoped.json()] == ["flux-failed"]
        assert (await api.http.get("/api/v1/rules?scope=global", headers=viewer)).json() == []
        assert (
            await api.http.delete("/api/v1/rules/flux-failed", headers=admin)
        ).status_code == 204
        assert (await api.http.get("/api/v1/rules/flux-failed", headers=viewer)).status_code == 404
        assert (
            await api.http.delete("/api/v1/rules/flux-failed", headers=admin)
        ).status_code == 404
        assert (await api.http.get("/api/v1/rules", headers=viewer)).json() == []
        denied = await api.http.post("/api/v1/rules", json=RULE, headers=viewer)
        assert denied.status_code == 403

    run_api(api_settings, scenario)


def test_invalid_rules_are_problems_with_the_path(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        admin = api.auth("admin")

        async def problem(body: dict[str, Any], method: str = "POST", path: str = "") -> Any:
            url = "/api/v1/rules" + path
            response = await api.http.request(method, url, json=body, headers=admin)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == PROBLEM
            return response.json()

        unknown = await problem({**RULE, "colour": "red"})
        assert unknown["errors"][0]["loc"] == "body.colour"
        nested = await problem({**RULE, "threshold": {"min_cnt": 2}})
        assert nested["errors"][0]["loc"] == "body.threshold.min_cnt"
        assert "body.threshold.min_cnt" in nested["detail"]
        bad_regex = await problem({**RULE, "patterns": ["fine", "broken ("]})
        assert bad_regex["errors"][0]["loc"] == "body.patterns.1"
        assert "does not compile" in bad_regex["errors"][0]["msg"]
        slow = await problem({**RULE, "patterns": ["(a+)+$"]})
        assert slow["errors"][0]["loc"] == "body.patterns.0"
        assert (await problem({**RULE, "id": "Not An Id"}))["errors"][0]["loc"] == "body.id"
        assert (await problem({**RULE, "severity": "loud"}))["errors"][0]["loc"] == "body.severity"

        assert (await api.http.post("/api/v1/rules", json=RULE, headers=admin)).status_code == 201
        cleared = await problem({"severity": None}, "PATCH", "/flux-failed")
        assert cleared["errors"][0]["loc"] == "body.severity"
        broken = await problem({"patterns": ["("]}, "PATCH", "/flux-failed")
        assert broken["errors"][0]["loc"] == "body.patterns.0"
        extra = await problem({"id": "other"}, "PATCH", "/flux-failed")
        assert extra["errors"][0]["loc"] == "body.id"
        kept = (await api.http.get("/api/v1/rules/flux-failed", headers=admin)).json()
        assert kept["spec"]["patterns"] == RULE["patterns"]  # failed changes store nothing

    run_api(api_settings, scenario)


def test_examples_are_checked_against_the_rule_as_the_editor_does(api_settings: Settings) -> None:
    match = "2024-05-01 10:00:00,000 ERROR app: flux capacitor core failed"
    quiet = "2024-05-01 10:00:00,000 ERROR app: all good"

    async def scenario(api: Api) -> None:
        admin = api.auth("admin")
        kept = {**RULE, "examples": {"match": [match], "no_match": [quiet]}}
        created = await api.http.post("/api/v1/rules", json=kept, headers=admin)
        assert created.status_code == 201, created.text
        assert created.json()["spec"]["examples"] == kept["examples"]

        wrong = {**RULE, "id": "flux-2", "examples": {"match": [quiet], "no_match": [match]}}
        refused = await api.http.post("/api/v1/rules", json=wrong, headers=admin)
        assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
        errors = refused.json()["errors"]
        locs = [error["loc"] for error in errors]
        assert locs == ["body.examples.match.0", "body.examples.no_match.0"], errors
        assert errors[0]["msg"] == f"this rule does not match example line 1: {quiet!r}"
        assert errors[1]["msg"] == f"this rule matches line 1, which it must not: {match!r}"
        missing = await api.http.get("/api/v1/rules/flux-2", headers=admin)
        assert missing.status_code == 404  # nothing stored

        breaking = await api.http.patch(
            "/api/v1/rules/flux-failed", json={"patterns": ["flux capacitor exploded"]},
            headers=admin,
        )  # fmt: skip
        assert breaking.status_code == 422, breaking.text
        assert breaking.json()["errors"][0]["loc"] == "body.examples.match.0"
        same = (await api.http.get("/api/v1/rules/flux-failed", headers=admin)).json()
        assert same["spec"]["patterns"] == RULE["patterns"]

    run_api(api_settings, scenario)


def test_rule_test_verdicts(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        viewer = api.auth("viewer")
        draft = {**RULE, "min_level": "WARNING", "logger_prefix": "machine"}
        lines = _lines(
            "ERROR machine.core: flux capacitor coil failed",
            "INFO machine.core: flux capacitor coil failed",
            "ERROR web: flux capacitor coil failed",
            "ERROR app: BOOM 42",
            "INFO app: all good",
        )
        response = await api.http.post(
            "/api/v1/rules/test", json={"lines": lines, "rule": draft}, headers=viewer
        )
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["format"] == "python_logging" and result["errors"] == []
        matched, level, logger, boom, quiet = result["records"]
        assert matched["matched"] == "flux-failed" and matched["captures"] == {"part": "coil"}
        assert matched["verdicts"] == [
            {"signature_id": "flux-failed", "gate": "passed", "detail": ""}
        ]
        assert matched["level"] == "ERROR" and matched["logger"] == "machine.core"
        assert level["matched"] is None
        assert level["verdicts"][0]["gate"] == "level gate"
        assert "INFO below WARNING" in level["verdicts"][0]["detail"]
        assert logger["matched"] is None and logger["verdicts"][0]["gate"] == "logger gate"
        assert boom["matched"] == "boom" and boom["line"] == 4
        assert quiet["matched"] is None and quiet["verdicts"] == []

        # without the draft: the stored set only (the rule is not stored)
        plain = await api.http.post("/api/v1/rules/test", json={"lines": lines}, headers=viewer)
        assert [r["matched"] for r in plain.json()["records"]] == [None, None, None, "boom", None]
        bad_format = await api.http.post(
            "/api/v1/rules/test", json={"lines": lines, "format": "nope"}, headers=viewer
        )
        assert bad_format.status_code == 400 and bad_format.headers["content-type"] == PROBLEM
        bad_draft = await api.http.post(
            "/api/v1/rules/test", json={"lines": lines, "rule": {**RULE, "patterns": ["("]}},
            headers=viewer,
        )  # fmt: skip
        assert bad_draft.status_code == 422
        assert bad_draft.json()["errors"][0]["loc"] == "body.rule.patterns.0"

        # a pattern that backtracks for about a minute on this line (`re`) gives up in its budget
        slow = {**RULE, "patterns": ["(a|aa)*c"]}
        timed = await api.http.post(
            "/api/v1/rules/test",
            json={"lines": _lines("ERROR app: " + "a" * 40 + "b c"), "rule": slow},
            headers=viewer,
        )
        assert timed.status_code == 200, timed.text
        (record,) = timed.json()["records"]
        assert record["matched"] is None
        assert record["verdicts"][0]["gate"] == "search time budget exceeded"

    run_api(api_settings, scenario)


def test_changes_reload_the_running_engine(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        admin, key = api.auth("admin"), api.auth("key-c1")

        async def push(message: str) -> None:
            entry = {"level": "ERROR", "message": message}
            pushed = await api.http.post(
                "/api/v1/clients/c1/logs", json={"entries": [entry]}, headers=key
            )
            assert pushed.status_code == 202

        async def count(signature: str) -> int:
            findings = (await api.http.get("/api/v1/findings", headers=admin)).json()["items"]
            return sum(f["count"] for f in findings if f["signature_id"] == signature)

        await push("flux capacitor coil failed")
        await push("BOOM 1")
        await api.wait_for(lambda: _at_least(count("boom"), 1))
        assert await count("flux-failed") == 0  # no rule yet

        assert (await api.http.post("/api/v1/rules", json=RULE, headers=admin)).status_code == 201
        assert api.pipeline is not None
        assert api.pipeline.engine.catalog.get("flux-failed") is not None
        await push("flux capacitor coil failed")
        await api.wait_for(lambda: _at_least(count("flux-failed"), 1))

        disabled = await api.http.post("/api/v1/rules/boom/disable", headers=admin)
        assert disabled.status_code == 200 and disabled.json()["spec"] is None
        assert api.pipeline.engine.catalog.get("boom") is None
        await push("BOOM 2")
        await push("flux capacitor coil failed")
        await api.wait_for(lambda: _at_least(count("flux-failed"), 2))
        assert await count("boom") == 1  # BOOM 2 matched nothing

        assert (await api.http.delete("/api/v1/rules/boom", headers=admin)).status_code == 204
        await push("BOOM 3")
        await api.wait_for(lambda: _at_least(count("boom"), 2))
        stats = (await api.http.get("/api/v1/rules/stats", headers=api.auth("viewer"))).json()
        assert stats["hits_by_signature"]["flux-failed"] == 2
        assert stats["hits_by_signature"]["boom"] == 2
        assert stats["is_live"] is True and stats["stored_rules"] == 1

    run_api(api_settings, scenario)


def test_per_source_rules_apply_to_their_source_only(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        admin = api.auth("admin")

        async def push(client: str, message: str) -> None:
            pushed = await api.http.post(
                f"/api/v1/clients/{client}/logs",
                json={"entries": [{"level": "ERROR", "message": message}]},
                headers=api.auth(f"key-{client}"),
            )
            assert pushed.status_code == 202

        async def sources(signature: str) -> set[str]:
            findings = (await api.http.get("/api/v1/findings", headers=admin)).json()["items"]
            return {f["source_id"] for f in findings if f["signature_id"] == signature}

        scoped = {**RULE, "scope": "client:c1"}
        assert (await api.http.post("/api/v1/rules", json=scoped, headers=admin)).status_code == 201
        await push("c2", "flux capacitor coil failed")
        await push("c1", "flux capacitor coil failed")
        await api.wait_for(lambda: _has(sources("flux-failed"), "client:c1"))
        await push("c2", "BOOM 9")  # c2's records are matched (by the global engine) …
        await api.wait_for(lambda: _has(sources("boom"), "client:c2"))
        assert await sources("flux-failed") == {"client:c1"}  # … but never by c1's rule

    run_api(api_settings, scenario)


async def _has(value: Any, item: str) -> bool:
    return item in await value


async def _at_least(value: Any, minimum: int) -> bool:
    return int(await value) >= minimum


def test_effective_sets_and_switches(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        admin, viewer = api.auth("admin"), api.auth("viewer")

        async def effective(source: str | None = None) -> dict[str, Any]:
            params = {"source": source} if source else {}
            response = await api.http.get("/api/v1/rules/effective", params=params, headers=viewer)
            assert response.status_code == 200, response.text
            return response.json()

        before = await effective()
        ids = [s["id"] for s in before["signatures"]]
        assert {"boom", "wobble"} <= set(ids) and before["is_live"] is True
        smarty = next(s for s in before["signatures"] if s["pack"] == "smarty")
        assert smarty["origin"] == "signature" and smarty["scope"] is None
        assert next(s for s in before["signatures"] if s["id"] == "boom")["origin"] == "rule_file"

        scoped = {**RULE, "scope": "client:c1"}
        assert (await api.http.post("/api/v1/rules", json=scoped, headers=admin)).status_code == 201
        override = {**RULE, "id": smarty["id"], "severity": "info"}
        made = await api.http.post("/api/v1/rules", json=override, headers=admin)
        assert made.json()["overrides"] == "smarty"
        switched = await api.http.post(
            "/api/v1/rules/wobble/disable", params={"scope": "client:c1"}, headers=admin
        )
        assert switched.status_code == 200 and switched.json()["scope"] == "client:c1"

        everywhere = await effective()
        assert "flux-failed" not in [s["id"] for s in everywhere["signatures"]]
        assert "wobble" in [s["id"] for s in everywhere["signatures"]]
        replaced = next(s for s in everywhere["signatures"] if s["id"] == smarty["id"])
        assert replaced["origin"] == "stored_rule" and replaced["severity"] == "info"
        assert replaced["scope"] == "global" and replaced["pack"] == "rules"

        client = await effective("client:c1")
        mine = next(s for s in client["signatures"] if s["id"] == "flux-failed")
        assert mine["origin"] == "stored_rule" and mine["scope"] == "client:c1"
        assert client["disabled"] == ["wobble"] and client["is_live"] is True
        assert (await effective("client:c2"))["disabled"] == []

        assert (await api.http.post("/api/v1/rules/wobble/enable", headers=admin)).json()[
            "enabled"
        ] is True
        assert (await effective("client:c1"))["disabled"] == []
        nothing = await api.http.post("/api/v1/rules/boom/enable", headers=admin)
        assert nothing.status_code == 409
        unknown = await api.http.post("/api/v1/rules/no-such-thing/disable", headers=admin)
        assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM
        other_scope = await api.http.post(
            "/api/v1/rules/flux-failed/disable", params={"scope": "global"}, headers=admin
        )
        assert other_scope.status_code == 409
        off = await api.http.post("/api/v1/rules/flux-failed/disable", headers=admin)
        assert off.json()["enabled"] is False and off.json()["spec"] is not None
        assert "flux-failed" not in [s["id"] for s in (await effective("client:c1"))["signatures"]]

    run_api(api_settings, scenario)


def test_without_serve_rules_are_stored_and_stats_compile(
    database_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "signatures:\n  - {id: broken, patterns: ['('], severity: error, category: bug,"
        " area: process}\n"
    )
    settings = make_settings(database_url, tmp_path)
    settings.rules.append(broken)

    async def scenario(api: Api) -> None:
        assert (
            await api.http.post("/api/v1/rules", json=RULE, headers=api.auth("admin"))
        ).status_code == 201
        stats = (await api.http.get("/api/v1/rules/stats", headers=api.auth("viewer"))).json()
        assert stats["is_live"] is False and stats["active_tails"] == []
        assert any("broken" in error for error in stats["compile_errors"])
        effective = (
            await api.http.get("/api/v1/rules/effective", headers=api.auth("viewer"))
        ).json()
        assert any("broken" in error for error in effective["errors"])
        assert "flux-failed" in [s["id"] for s in effective["signatures"]]

    run_api(settings, scenario, with_pipeline=False)


def test_serve_starts_with_the_stored_rules(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path)
    engine = create_store_engine(settings.effective_database_url())
    migrate(engine)
    now = SystemClock().now()
    store = RuleStore(engine)
    body = {key: value for key, value in RULE.items() if key != "id"}
    store.create(StoredRule("flux-failed", body, "global", True, now, now))
    store.create(StoredRule("wobble", {}, "global", False, now, now))
    store.create(StoredRule("scoped", {**body}, "client:c1", True, now, now))
    engine.dispose()
    pipeline = build_pipeline(settings, SystemClock())
    try:
        ids = {s.id for s in pipeline.engine.catalog.signatures}
        assert "flux-failed" in ids and "boom" in ids
        assert "wobble" not in ids  # disabled by a stored switch
        assert "scoped" not in ids  # a per-source rule is not in the global engine…
        scoped = pipeline.source_engines["client:c1"].catalog
        assert scoped.get("scoped") is not None and scoped.get("flux-failed") is not None
    finally:
        pipeline.store.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_stored_rule_that_no_longer_validates_is_reported(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path)
    engine = create_store_engine(settings.effective_database_url())
    migrate(engine)
    now = SystemClock().now()
    RuleStore(engine).create(StoredRule("old", {"patterns": ["x"]}, "global", True, now, now))
    engine.dispose()
    pipeline = build_pipeline(settings, SystemClock())
    try:
        assert pipeline.engine.catalog.get("old") is None
        assert any("stored rule old" in error for error in pipeline.engine.catalog.errors)
    finally:
        pipeline.store.engine.dispose()
