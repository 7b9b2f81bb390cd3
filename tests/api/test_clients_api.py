"""Fleet clients over HTTP: ingest, heartbeat, logs, summary, recent errors, overview, limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from loghealth.settings import Settings
from tests.api.conftest import Api, make_settings, run_api

PROBLEM = "application/problem+json"


def test_ingest_and_read_logs_as_the_spec_says(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        key, admin = api.auth("key-c1"), api.auth("admin")
        base = api.clock.now().replace(microsecond=0)
        entries = [
            {"timestamp": (base - timedelta(minutes=10)).isoformat(), "level": "error",
             "message": "disk gone", "context": '{"disk": "sda"}'},
            {"timestamp": (base - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S"),
             "level": "WARNING", "message": "slow", "context": "not json"},
            {"level": "info", "message": "started", "context": {"version": 3}},
        ]  # fmt: skip
        pushed = await api.http.post(
            "/api/v1/clients/c1/logs", json={"entries": entries}, headers=key
        )
        assert pushed.status_code == 202

        logs = (await api.http.get("/api/v1/clients/c1/logs", headers=admin)).json()
        assert [e["message"] for e in logs] == ["started", "slow", "disk gone"]
        assert [e["level"] for e in logs] == ["INFO", "WARN", "ERROR"]
        assert logs[1]["context"] == {"raw": "not json"}
        assert logs[2]["context"] == {"disk": "sda"}
        assert logs[1]["timestamp"] == (base - timedelta(minutes=5)).isoformat().replace(
            "+00:00", "Z"
        )

        errors = await api.http.get("/api/v1/clients/c1/logs?level=error", headers=admin)
        assert [e["message"] for e in errors.json()] == ["disk gone"]
        since = (base - timedelta(minutes=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        recent = await api.http.get(
            "/api/v1/clients/c1/logs", params={"since": since}, headers=admin
        )
        assert [e["message"] for e in recent.json()] == ["started", "slow"]
        naive = (base - timedelta(minutes=7)).strftime("%Y-%m-%dT%H:%M:%S")
        same = await api.http.get("/api/v1/clients/c1/logs", params={"since": naive}, headers=admin)
        assert same.json() == recent.json()
        one = await api.http.get("/api/v1/clients/c1/logs?limit=1", headers=admin)
        assert len(one.json()) == 1

        bad_level = await api.http.get("/api/v1/clients/c1/logs?level=loud", headers=admin)
        assert bad_level.status_code == 400
        assert bad_level.headers["content-type"] == PROBLEM
        assert "ERROR, WARN, INFO, DEBUG" in bad_level.json()["detail"]
        bad_since = await api.http.get("/api/v1/clients/c1/logs?since=yesterday", headers=admin)
        assert bad_since.status_code == 400
        unknown = await api.http.get("/api/v1/clients/nobody/logs", headers=admin)
        assert unknown.status_code == 404
        bad_push = await api.http.post(
            "/api/v1/clients/c1/logs", json={"entries": [{"level": "LOUD", "message": "x"}]},
            headers=key,
        )  # fmt: skip
        assert bad_push.status_code == 422
        assert "ERROR, WARN, INFO, DEBUG" in bad_push.json()["detail"]
        other = await api.http.post("/api/v1/clients/c2/logs", json={"entries": []}, headers=key)
        assert other.status_code == 403
        unregistered = await api.http.post(
            "/api/v1/clients/nobody/logs", json={"entries": []}, headers=admin
        )
        assert unregistered.status_code == 404

        summary = (await api.http.get("/api/v1/clients/summary?hours=1000", headers=admin)).json()
        assert summary["hours"] == 168
        c1 = next(c for c in summary["clients"] if c["client_id"] == "c1")
        assert c1["hostname"] == "c1.local"
        assert c1["counts"] == {"error": 1, "warn": 1, "info": 1, "debug": 0}
        zero = await api.http.get("/api/v1/clients/summary?hours=0", headers=admin)
        assert zero.status_code == 422

        errors_all = (
            await api.http.get("/api/v1/clients/recent-errors?limit=1000", headers=admin)
        ).json()
        assert [(e["client_id"], e["message"], e["hostname"]) for e in errors_all] == [
            ("c1", "disk gone", "c1.local")
        ]
        status = (
            await api.http.get("/api/v1/clients/ingest-status", headers=api.auth("viewer"))
        ).json()
        assert status["entries_last_5_min"] >= 1 and status["is_ingest_working"] is True

    run_api(api_settings, scenario)


def test_overview_status_rule(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        superadmin = api.auth("superadmin")

        async def overview() -> dict:
            response = await api.http.get("/api/v1/clients", headers=superadmin)
            assert response.status_code == 200, response.text
            return {c["client"]["id"]: c for c in response.json()["clients"]} | {
                "totals": response.json()["totals"]
            }

        first = await overview()
        assert first["c1"]["client"]["status"] == "offline"  # never sent a heartbeat
        beat = await api.http.post(
            "/api/v1/clients/c1/heartbeat", json={"process_status": "running", "app_status": "OK"},
            headers=api.auth("key-c1"),
        )  # fmt: skip
        assert beat.status_code == 200
        assert beat.json()["status"] == "healthy" and beat.json()["is_alive"] is True
        beat2 = await api.http.post(
            "/api/v1/clients/c2/heartbeat", json={"process_status": "starting"},
            headers=api.auth("key-c2"),
        )  # fmt: skip
        assert beat2.json()["status"] == "warning"
        await api.http.post(
            "/api/v1/clients/c1/heartbeat", json={"app_status": "BLACK"}, headers=api.auth("key-c1")
        )
        now = await overview()
        assert now["c1"]["client"]["status"] == "critical"
        assert now["totals"] == {
            "clients": 2, "online": 2, "offline": 0, "healthy": 0, "warning": 1, "critical": 1,
            "error_entries": 0, "warning_entries": 0,
        }  # fmt: skip
        await api.http.post(
            "/api/v1/clients/c1/heartbeat", json={"app_status": "OK"}, headers=api.auth("key-c1")
        )
        await api.http.post(
            "/api/v1/clients/c1/logs",
            json={"entries": [{"level": "WARN", "message": "WOBBLE"}]},
            headers=api.auth("key-c1"),
        )

        async def folded() -> bool:
            return (await overview())["c1"]["active_findings"] == 1

        await api.wait_for(folded)
        now = await overview()
        assert now["c1"]["client"]["status"] == "warning"
        assert now["c1"]["latest_entry"]["message"] == "WOBBLE"
        assert now["c1"]["latest_error"] is None
        assert now["c1"]["counts"]["warn"] == 1
        api.clock.advance(171)
        later = await overview()
        assert later["c1"]["client"]["status"] == "offline"
        assert later["totals"]["offline"] == 2

    run_api(api_settings, scenario)


def test_register_rotate_key_delete(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        admin = api.auth("admin")
        put = await api.http.put(
            "/api/v1/clients/kiosk-7", json={"hostname": "k7", "group": "hall"}, headers=admin
        )
        assert put.status_code == 200 and put.json()["has_ingest_key"] is False
        key = (await api.http.post("/api/v1/clients/kiosk-7/key", headers=admin)).json()
        assert key["ingest_key"].startswith("lhk_")
        auth = {"Authorization": f"Bearer {key['ingest_key']}"}
        pushed = await api.http.post(
            "/api/v1/clients/kiosk-7/logs", json={"entries": [{"message": "hi"}]}, headers=auth
        )
        assert pushed.status_code == 202
        # the key can't read anything
        assert (await api.http.get("/api/v1/clients/kiosk-7/logs", headers=auth)).status_code == 403
        await api.http.post("/api/v1/clients/kiosk-7/key", headers=admin)
        stale = await api.http.post(
            "/api/v1/clients/kiosk-7/logs", json={"entries": []}, headers=auth
        )
        assert stale.status_code == 401
        gone = await api.http.delete("/api/v1/clients/kiosk-7", headers=admin)
        assert gone.status_code == 204
        assert (await api.http.get("/api/v1/clients/kiosk-7", headers=admin)).status_code == 404

    run_api(api_settings, scenario)


def test_tokens_over_the_api(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        root = api.auth("superadmin")
        created = await api.http.post(
            "/api/v1/tokens", json={"name": "ci", "role": "viewer"}, headers=root
        )
        assert created.status_code == 201
        secret = created.json()["token"]
        headers = {"Authorization": f"Bearer {secret}"}
        assert (await api.http.get("/api/v1/health", headers=headers)).status_code == 200
        listed = (await api.http.get("/api/v1/tokens", headers=root)).json()
        assert "token" not in listed[0] and {t["name"] for t in listed} >= {"ci", "revoked"}
        ci = next(t for t in listed if t["name"] == "ci")
        assert ci["last_used_at"] is not None
        revoked = await api.http.delete(f"/api/v1/tokens/{ci['id']}", headers=root)
        assert revoked.json()["revoked_at"] is not None
        assert (await api.http.get("/api/v1/health", headers=headers)).status_code == 401

    run_api(api_settings, scenario)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_limits_body_batch_rate(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        database_url, tmp_path,
        api={"max_body_bytes": 4000, "max_batch_entries": 3, "requests_per_sec": 1, "burst": 4},
    )  # fmt: skip

    async def scenario(api: Api) -> None:
        key = api.auth("key-c1")
        url = "/api/v1/clients/c1/logs"
        big = await api.http.post(url, json={"entries": [{"message": "x" * 5000}]}, headers=key)
        assert big.status_code == 413 and big.headers["content-type"] == PROBLEM
        many = await api.http.post(url, json={"entries": [{"message": "x"}] * 4}, headers=key)
        assert many.status_code == 413
        assert "at most 3" in many.json()["detail"]
        statuses = []
        for _ in range(4):
            response = await api.http.post(url, json={"entries": []}, headers=key)
            statuses.append(response.status_code)
        assert statuses[-1] == 429
        assert int(response.headers["retry-after"]) >= 1
        assert response.headers["content-type"] == PROBLEM
        # another credential has its own bucket
        other = await api.http.post(url, json={"entries": []}, headers=api.auth("admin"))
        assert other.status_code == 202

    run_api(settings, scenario)
