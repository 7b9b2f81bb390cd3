"""Findings, health and statistics over HTTP, fed by pushed client logs (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from loghealth.settings import Settings
from tests.api.conftest import Api, run_api

PROBLEM = "application/problem+json"


async def push(api: Api, client: str, *messages: str, level: str = "ERROR") -> None:
    entries = [{"level": level, "message": m} for m in messages]
    response = await api.http.post(
        f"/api/v1/clients/{client}/logs",
        json={"entries": entries},
        headers=api.auth(f"key-{client}"),
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"client_id": client, "accepted": len(entries)}


async def boom_finding(api: Api) -> dict:
    async def found() -> bool:
        page = await api.http.get(
            "/api/v1/findings", params={"signature": "boom"}, headers=api.auth("viewer")
        )
        return page.json()["total"] == 1

    await api.wait_for(found)
    page = await api.http.get("/api/v1/findings?signature=boom", headers=api.auth("viewer"))
    return page.json()["items"][0]


def test_pushed_logs_become_findings_with_life_cycle(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        await push(api, "c1", "BOOM 1", "BOOM 2", "all fine")
        finding = await boom_finding(api)
        assert finding["source_id"] == "client:c1"
        assert finding["state"] == "open"
        assert finding["severity"] == "error"
        assert finding["count"] == 2
        assert finding["last_hit_at"].endswith("Z")
        viewer, admin = api.auth("viewer"), api.auth("admin")

        detail = await api.http.get(f"/api/v1/findings/{finding['id']}", headers=viewer)
        assert detail.status_code == 200
        body = detail.json()
        assert [h["sample"] for h in body["hits"]] == ["BOOM 2", "BOOM 1"]
        assert body["history"][0]["to_state"] == "open"

        resolved = await api.http.post(f"/api/v1/findings/{finding['id']}/resolve", headers=admin)
        assert resolved.json()["state"] == "resolved"
        again = await api.http.post(f"/api/v1/findings/{finding['id']}/resolve", headers=admin)
        assert again.status_code == 409
        assert again.headers["content-type"] == PROBLEM
        assert again.json()["detail"] == "finding is already resolved"

        await push(api, "c1", "BOOM 3")

        async def regressed() -> bool:
            one = await api.http.get(f"/api/v1/findings/{finding['id']}", headers=viewer)
            return one.json()["state"] == "regressed"

        await api.wait_for(regressed)
        past = (api.clock.now() - timedelta(hours=1)).isoformat()
        snooze = await api.http.post(
            f"/api/v1/findings/{finding['id']}/snooze", json={"until": past}, headers=admin
        )
        assert snooze.status_code == 422
        future = (api.clock.now() + timedelta(hours=1)).isoformat()
        snooze = await api.http.post(
            f"/api/v1/findings/{finding['id']}/snooze", json={"until": future}, headers=admin
        )
        assert snooze.json()["state"] == "snoozed"
        ignored = await api.http.post(f"/api/v1/findings/{finding['id']}/ignore", headers=admin)
        assert ignored.json()["state"] == "ignored"
        reopened = await api.http.post(f"/api/v1/findings/{finding['id']}/reopen", headers=admin)
        assert reopened.json()["state"] == "open"
        history = (await api.http.get(f"/api/v1/findings/{finding['id']}", headers=viewer)).json()
        assert [h["to_state"] for h in history["history"]] == [
            "open", "resolved", "regressed", "snoozed", "ignored", "open",
        ]  # fmt: skip
        assert history["history"][1]["actor"] == "token:test-admin"

        missing = await api.http.get("/api/v1/findings/999999", headers=viewer)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == PROBLEM
        missing = await api.http.post("/api/v1/findings/999999/resolve", headers=admin)
        assert missing.status_code == 404

    run_api(api_settings, scenario)


def test_filters_paging_views_health_statistics(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        await push(api, "c1", "BOOM 1")
        await push(api, "c2", "WOBBLE now", level="WARN")
        await boom_finding(api)
        viewer = api.auth("viewer")

        async def both() -> bool:
            page = await api.http.get("/api/v1/findings", headers=viewer)
            return page.json()["total"] == 2

        await api.wait_for(both)
        get = api.http.get
        by_severity = await get("/api/v1/findings?severity=warning", headers=viewer)
        assert [f["signature_id"] for f in by_severity.json()["items"]] == ["wobble"]
        by_many = await get("/api/v1/findings?severity=warning&severity=error", headers=viewer)
        assert by_many.json()["total"] == 2
        by_category = await get("/api/v1/findings?category=bug&state=open", headers=viewer)
        assert [f["signature_id"] for f in by_category.json()["items"]] == ["boom"]
        by_area = await get("/api/v1/findings?area=network", headers=viewer)
        assert by_area.json()["total"] == 1
        by_source = await get("/api/v1/findings?source=client:c2", headers=viewer)
        assert by_source.json()["items"][0]["signature_id"] == "wobble"
        by_text = await get("/api/v1/findings?text=wobble", headers=viewer)
        assert by_text.json()["total"] == 1
        future = (api.clock.now() + timedelta(hours=1)).isoformat()
        by_since = await get("/api/v1/findings", params={"since": future}, headers=viewer)
        assert by_since.json()["total"] == 0
        paged = await get("/api/v1/findings?limit=1&offset=1", headers=viewer)
        assert paged.json()["total"] == 2 and len(paged.json()["items"]) == 1
        bad = await get("/api/v1/findings?severity=dreadful", headers=viewer)
        assert bad.status_code == 422
        assert bad.headers["content-type"] == PROBLEM
        assert "severity" in bad.json()["detail"]

        recent = await get("/api/v1/findings/recent?limit=1", headers=viewer)
        assert len(recent.json()) == 1
        critical = await get("/api/v1/findings/critical", headers=viewer)
        assert [f["signature_id"] for f in critical.json()] == ["boom"]

        health = (await get("/api/v1/health", headers=viewer)).json()
        assert health == {
            "score": 85, "status": "warning", "recent_count": 2, "window_secs": 300,
        }  # fmt: skip
        stats = (await get("/api/v1/statistics", headers=viewer)).json()
        assert stats["total_findings"] == 2
        assert stats["active_findings"] == 2
        assert stats["findings_last_5_min"] == 2
        assert stats["hits_last_5_min"] == 2
        assert stats["by_severity"] == {"critical": 0, "error": 1, "warning": 1, "info": 0}
        assert stats["by_category"]["bug"] == 1
        assert stats["by_area"] == {"process": 1, "network": 1}
        assert stats["is_monitoring"] is True
        assert stats["health"] == {"score": 85, "status": "warning"}

    run_api(api_settings, scenario)


def test_catalog_texts_follow_accept_language(api_settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        viewer = api.auth("viewer")
        listed = (await api.http.get("/api/v1/catalog", headers=viewer)).json()
        smarty = next(s for s in listed if s["pack"] == "smarty")
        english = await api.http.get(f"/api/v1/catalog/{smarty['id']}", headers=viewer)
        russian = await api.http.get(
            f"/api/v1/catalog/{smarty['id']}",
            headers={**viewer, "Accept-Language": "ru-RU,ru;q=0.9"},
        )
        assert english.json()["name"] != russian.json()["name"]
        assert any("\u0400" <= ch <= "\u04ff" for ch in russian.json()["name"])
        boom = (await api.http.get("/api/v1/catalog/boom", headers=viewer)).json()
        assert boom["patterns"] == ["BOOM \\d+"]
        missing = await api.http.get("/api/v1/catalog/nope", headers=viewer)
        assert missing.status_code == 404

    run_api(api_settings, scenario)
