"""Dashboard Clients pages: an admin rotates a client's ingest key and deletes a client (ASGI).

Both go through the functions the API's `POST /api/v1/clients/{id}/key` and `DELETE` use; the
key is shown once in the answer to the POST and is never in a URL, a header or a log.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest

from loghealth.model import Area, Category, Severity
from loghealth.store.repository import Batch, fingerprint
from tests.web.conftest import Dashboard, delta, run_dashboard, web_settings
from tests.web.test_admin_pages import seed_clients

KEY_FIELD = re.compile(r'id="new-key-value"[^>]*value="(lhk_[^"]+)"')


def run(tmp_path: Path, scenario) -> None:
    run_dashboard(web_settings(tmp_path), scenario)


def api_client(d: Dashboard) -> httpx.AsyncClient:
    """An HTTP client without the dashboard's session cookie, like a fleet client pushing logs."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=d.app), base_url="http://testserver")


async def push(d: Dashboard, client_id: str, key: str) -> int:
    async with api_client(d) as api:
        pushed = await api.post(
            f"/api/v1/clients/{client_id}/logs",
            json={"entries": [{"level": "INFO", "message": "hello"}]},
            headers={"Authorization": f"Bearer {key}"},
        )
    return pushed.status_code


async def api_key(d: Dashboard, client_id: str) -> str:
    issued = await d.http.post(f"/api/v1/clients/{client_id}/key", headers=d.api())
    assert issued.status_code == 201
    return str(issued.json()["ingest_key"])


def _forms(html: str, client_id: str) -> list[str]:
    return re.findall(rf'action="/clients/{re.escape(client_id)}/(key|delete)"', html)


# ---- roles, CSRF ----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "allowed"), [("viewer", False), ("admin", True), ("root", True)])
def test_only_admins_see_and_use_the_buttons(tmp_path: Path, name: str, allowed: bool) -> None:
    async def scenario(d: Dashboard) -> None:
        seed_clients(d)
        old_key = await api_key(d, "kiosk-1")
        await d.login(name)
        fleet = await d.http.get("/clients")
        client = await d.http.get("/clients/kiosk-1")
        expected = ["key", "delete"] if allowed else []
        assert _forms(fleet.text, "kiosk-1") == expected
        assert _forms(client.text, "kiosk-1") == expected
        assert ('data-testid="client-admin"' in client.text) is allowed
        if allowed:
            return
        token = await d.csrf("/clients")
        for action in ("key", "delete"):
            denied = await d.http.post(f"/clients/kiosk-1/{action}", data={"csrf_token": token})
            assert denied.status_code == 403, action
            assert "Your role does not allow this." in denied.text
            assert "lhk_" not in denied.text
        assert d.context.clients.get("kiosk-1") is not None
        assert await push(d, "kiosk-1", old_key) == 202  # the key was not rotated

    run(tmp_path, scenario)


def test_changes_need_the_csrf_token_and_this_site_as_origin(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        seed_clients(d)
        old_key = await api_key(d, "kiosk-1")
        await d.login("admin")
        token = await d.csrf("/clients")
        for action in ("key", "delete"):
            missing = await d.http.post(f"/clients/kiosk-1/{action}")
            assert missing.status_code == 403 and "This form expired" in missing.text
            wrong = await d.http.post(f"/clients/kiosk-1/{action}", data={"csrf_token": "nope"})
            assert wrong.status_code == 403
            foreign = await d.http.post(
                f"/clients/kiosk-1/{action}", data={"csrf_token": token},
                headers={"Origin": "https://evil.example"},
            )  # fmt: skip
            assert foreign.status_code == 403 and "lhk_" not in foreign.text
        assert d.context.clients.get("kiosk-1") is not None
        assert await push(d, "kiosk-1", old_key) == 202

    run(tmp_path, scenario)


def test_an_unknown_client_is_the_404_page_and_is_not_registered(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("admin")
        token = await d.csrf("/clients")
        for action in ("key", "delete"):
            missing = await d.http.post(f"/clients/kiosk-9/{action}", data={"csrf_token": token})
            assert missing.status_code == 404 and "There is no such client." in missing.text
            assert missing.headers["content-type"].startswith("text/html")
        assert d.context.clients.get("kiosk-9") is None
        gone = await d.http.get("/api/v1/clients/kiosk-9", headers=d.api())
        assert gone.status_code == 404

    run(tmp_path, scenario)


# ---- rotate ---------------------------------------------------------------------------------
def test_rotate_shows_the_new_key_once_and_the_old_key_stops_working(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(d: Dashboard) -> None:
        seed_clients(d)
        old_key = await api_key(d, "kiosk-1")
        assert await push(d, "kiosk-1", old_key) == 202
        await d.login("admin")
        page = await d.http.get("/clients/kiosk-1")
        assert "Its current key stops working at once" in page.text  # the confirmation question
        token = await d.csrf("/clients/kiosk-1")
        rotated = await d.http.post("/clients/kiosk-1/key", data={"csrf_token": token})
        assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
        found = KEY_FIELD.search(rotated.text)
        assert found is not None
        new_key = found.group(1)
        assert new_key != old_key and rotated.text.count(new_key) == 1
        assert all(new_key not in value for value in rotated.headers.values())
        assert "New ingest key for kiosk-1" in rotated.text
        assert "it is shown only this once" in rotated.text
        assert "The previous key stopped working" in rotated.text
        assert 'data-replace-url="/clients/kiosk-1"' in rotated.text
        assert "<h1>Kiosk 1</h1>" in rotated.text  # the client page, with its entries
        assert 'data-testid="log-table"' in rotated.text
        again = await d.http.get("/clients/kiosk-1")
        assert new_key not in again.text and 'data-testid="new-key"' not in again.text

        assert await push(d, "kiosk-1", new_key) == 202
        assert await push(d, "kiosk-1", old_key) == 401
        async with api_client(d) as api:  # the key still only pushes for its own client
            other = await api.post(
                "/api/v1/clients/kiosk-2/logs", json={"entries": []},
                headers={"Authorization": f"Bearer {new_key}"},
            )  # fmt: skip
        assert other.status_code == 403
        assert new_key not in caplog.text

    with caplog.at_level(logging.DEBUG):
        run(tmp_path, scenario)


def test_rotating_from_the_fleet_list_and_in_russian(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        seed_clients(d)
        assert d.context.clients.get("kiosk-3").has_ingest_key is False  # type: ignore[union-attr]
        await d.login("admin")
        ru = {"Accept-Language": "ru-RU,ru;q=0.9"}
        fleet = await d.http.get("/clients", headers=ru)
        assert "Сменить ключ" in fleet.text and "Удалить клиент" in fleet.text
        token = await d.csrf("/clients")
        rotated = await d.http.post("/clients/kiosk-3/key", data={"csrf_token": token}, headers=ru)
        assert rotated.status_code == 200
        assert "Новый ключ приёма для kiosk-3" in rotated.text
        assert "Прежний ключ перестал работать" in rotated.text
        found = KEY_FIELD.search(rotated.text)
        assert found is not None and await push(d, "kiosk-3", found.group(1)) == 202
        assert d.context.clients.get("kiosk-3").has_ingest_key is True  # type: ignore[union-attr]

    run(tmp_path, scenario)


# ---- delete ---------------------------------------------------------------------------------
def test_delete_removes_the_client_its_key_and_entries_but_not_its_findings(
    tmp_path: Path,
) -> None:
    async def scenario(d: Dashboard) -> None:
        seed_clients(d)
        key = await api_key(d, "kiosk-2")
        finding = delta("wobble", "client:kiosk-2", Severity.WARNING, Category.ENVIRONMENT,
                        Area.NETWORK, "WOBBLE on the kiosk")  # fmt: skip
        d.context.store.commit(
            Batch(deltas={fingerprint("wobble", "client:kiosk-2"): finding}), d.clock.now()
        )
        assert d.context.clients.entries("kiosk-2") != []
        await d.login("admin")
        page = await d.http.get("/clients/kiosk-2")
        question = (
            "Delete client kiosk-2? This deletes the client, its ingest key and all its stored "
            "log entries, and cannot be undone. Its findings stay."
        )
        assert f'data-confirm="{question}"' in page.text
        token = await d.csrf("/clients")
        deleted = await d.http.post("/clients/kiosk-2/delete", data={"csrf_token": token})
        assert deleted.status_code == 303
        assert deleted.headers["location"] == "/clients?done=deleted&client=kiosk-2"
        fleet = await d.http.get(deleted.headers["location"])
        assert 'data-testid="clients-notice"' in fleet.text
        assert "Client kiosk-2 was deleted with its ingest key" in fleet.text
        assert 'data-client-id="kiosk-2"' not in fleet.text
        assert 'data-testid="clients-count">2<' in fleet.text

        listed = await d.http.get("/api/v1/clients", headers=d.api("superadmin"))
        assert {i["client"]["id"] for i in listed.json()["clients"]} == {"kiosk-1", "kiosk-3"}
        assert d.context.clients.entries("kiosk-2") == []
        assert d.context.clients.entries("kiosk-1") != []  # other clients keep theirs
        assert await push(d, "kiosk-2", key) == 401
        findings = await d.http.get("/api/v1/findings?source=client:kiosk-2", headers=d.api())
        assert [f["signature_id"] for f in findings.json()["items"]] == ["wobble"]
        assert (await d.http.get("/clients/kiosk-2")).status_code == 404
        twice = await d.http.post("/clients/kiosk-2/delete", data={"csrf_token": token})
        assert twice.status_code == 404

    run(tmp_path, scenario)


def test_a_forged_notice_names_only_a_client_id(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("viewer")
        forged = await d.http.get("/clients?done=deleted&client=%3Cb%3Ex%3C/b%3E%20y")
        assert forged.status_code == 200 and 'data-testid="clients-notice"' not in forged.text

    run(tmp_path, scenario)
