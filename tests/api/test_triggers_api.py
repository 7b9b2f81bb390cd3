"""Triggers over HTTP: CRUD with masked secrets, validation, test sends, deliveries, and the
live path — pushed logs hit a rule, the dispatcher fires, a loopback receiver gets the webhook.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from loghealth.alerts.webhook import verify
from loghealth.runtime.notify import notify_service
from loghealth.settings import Settings
from loghealth.store.triggers import TriggerStore
from tests.api.conftest import Api, make_settings, run_api
from tests.api.test_findings_api import boom_finding, push
from tests.receiver import Receiver, receiver

MASK = "********"
SECRET = "hmac-key"  # noqa: S105 - a test key


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url, tmp_path, egress={"allow": ["127.0.0.1"]},
        notifications={"dashboard_url": "http://dash.test/", "max_attempts": 1},
    )  # fmt: skip


def webhook(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "webhook", "url": url, **extra}


def trigger_body(url: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "ops", "filters": {"severities": ["error", "critical"]},
        "notifier": webhook(url, secret=SECRET, headers={"Authorization": "Bearer t0ken"}),
        **fields,
    }  # fmt: skip


def stored(api: Api, trigger_id: int) -> dict[str, Any]:
    trigger = TriggerStore(api.context.store.engine).get(trigger_id)
    assert trigger is not None
    return trigger.notifier


def test_crud_masks_secrets_and_patches_partially(settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        admin, viewer = api.auth("admin"), api.auth("viewer")
        created = await api.http.post("/api/v1/triggers", json=trigger_body("http://hooks.test/x"),
                                      headers=admin)  # fmt: skip
        assert created.status_code == 201, created.text
        body = created.json()
        trigger_id = body["id"]
        assert body["notifier"] == {"type": "webhook", "url": "http://hooks.test/x",
                                    "secret": MASK, "headers": {"Authorization": MASK}}  # fmt: skip
        assert body["events"] == ["opened", "regressed"]
        assert body["filters"]["severities"] == ["error", "critical"]
        assert body["is_failing"] is False and body["consecutive_failures"] == 0
        assert SECRET not in (await api.http.get("/api/v1/triggers", headers=viewer)).text

        renamed = await api.http.patch(f"/api/v1/triggers/{trigger_id}", json={"name": "db"},
                                       headers=admin)  # fmt: skip
        assert renamed.json()["name"] == "db"
        assert stored(api, trigger_id)["secret"] == SECRET

        echoed = {**renamed.json()["notifier"], "url": "http://hooks.test/y"}
        patched = await api.http.patch(f"/api/v1/triggers/{trigger_id}",
                                       json={"notifier": echoed}, headers=admin)  # fmt: skip
        assert patched.status_code == 200, patched.text
        assert stored(api, trigger_id) == {
            "type": "webhook", "url": "http://hooks.test/y", "secret": SECRET,
            "headers": {"Authorization": "Bearer t0ken"},
        }  # fmt: skip
        left_out = await api.http.patch(
            f"/api/v1/triggers/{trigger_id}",
            json={"notifier": webhook("http://hooks.test/z")}, headers=admin,
        )  # fmt: skip
        assert left_out.json()["notifier"]["secret"] == MASK  # not wiped
        cleared = await api.http.patch(
            f"/api/v1/triggers/{trigger_id}",
            json={"notifier": webhook("http://hooks.test/z", secret=None, headers={})},
            headers=admin,
        )  # fmt: skip
        assert cleared.json()["notifier"]["secret"] is None
        assert stored(api, trigger_id)["headers"] == {}

        merged = await api.http.patch(f"/api/v1/triggers/{trigger_id}",
                                      json={"filters": {"areas": ["disk"]}, "enabled": False},
                                      headers=admin)  # fmt: skip
        assert merged.json()["filters"]["severities"] == ["error", "critical"]
        assert merged.json()["filters"]["areas"] == ["disk"]
        assert merged.json()["enabled"] is False

        one = await api.http.get(f"/api/v1/triggers/{trigger_id}", headers=viewer)
        assert one.json() == merged.json()
        path = f"/api/v1/triggers/{trigger_id}"
        assert (await api.http.delete(path, headers=admin)).status_code == 204
        assert (await api.http.get(path, headers=viewer)).status_code == 404
        assert (await api.http.delete(path, headers=admin)).status_code == 404
        assert (await api.http.patch(path, json={}, headers=admin)).status_code == 404

    run_api(settings, scenario, with_pipeline=False)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"filters": {"message_regex": "(unclosed"}}, "body.filters.message_regex"),
        ({"min_interval_secs": 600, "max_interval_secs": 60}, "body.max_interval_secs"),
        ({"notifier": webhook("http://user:pw@hooks.test/")}, "body.notifier.url"),
        ({"notifier": webhook("http://hooks.test/", secret=MASK)}, "body.notifier.secret"),
        ({"notifier": webhook("http://hooks.test/", headers={"Host": "x"})},
         "body.notifier.headers.Host"),
        ({"notifier": webhook("http://hooks.test/", headers={"X-Loghealth-Event": "x"})},
         "body.notifier.headers.X-Loghealth-Event"),
        ({"notifier": webhook("ftp://hooks.test/")}, "body.notifier.webhook.url"),
        ({"notifier": {"type": "apprise", "urls": ["nosuchscheme://x"]}},
         "body.notifier.urls.0"),
        ({"notifier": {"type": "apprise", "urls": [MASK]}}, "body.notifier.urls.0"),
        ({"events": ["state_changed"]}, "body.events.0"),
    ],
)  # fmt: skip
def test_invalid_triggers_are_422_naming_the_field(
    settings: Settings, change: dict[str, Any], where: str
) -> None:
    async def scenario(api: Api) -> None:
        response = await api.http.post("/api/v1/triggers", json={**trigger_body("http://h.test/"),
                                       **change}, headers=api.auth("admin"))  # fmt: skip
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert where in [error["loc"] for error in response.json()["errors"]], response.text

    run_api(settings, scenario, with_pipeline=False)


def test_patch_may_not_null_a_field(settings: Settings) -> None:
    async def scenario(api: Api) -> None:
        admin = api.auth("admin")
        created = await api.http.post("/api/v1/triggers", json=trigger_body("http://h.test/"),
                                      headers=admin)  # fmt: skip
        response = await api.http.patch(f"/api/v1/triggers/{created.json()['id']}",
                                        json={"name": None}, headers=admin)  # fmt: skip
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == "body.name"

    run_api(settings, scenario, with_pipeline=False)


def test_apprise_urls_are_masked_and_kept_by_placeholder(settings: Settings) -> None:
    pytest.importorskip("apprise")
    url = "ntfys://user:secret@ntfy.test/alerts"

    async def scenario(api: Api) -> None:
        admin = api.auth("admin")
        body = {"name": "chat", "notifier": {"type": "apprise", "urls": [url]}}
        created = await api.http.post("/api/v1/triggers", json=body, headers=admin)
        assert created.status_code == 201, created.text
        notifier = created.json()["notifier"]
        assert notifier == {"type": "apprise", "urls": [MASK], "previews": ["ntfys://ntfy.test/…"]}
        second = "json://127.0.0.1:9/hook"
        patched = await api.http.patch(
            f"/api/v1/triggers/{created.json()['id']}",
            json={"notifier": {"type": "apprise", "urls": [MASK, second]}}, headers=admin,
        )  # fmt: skip
        assert patched.status_code == 200, patched.text
        assert stored(api, created.json()["id"])["urls"] == [url, second]

    run_api(settings, scenario, with_pipeline=False)


async def _create(api: Api, sink: Receiver, **fields: Any) -> int:
    response = await api.http.post("/api/v1/triggers", json=trigger_body(f"{sink.url}/hook",
                                   **fields), headers=api.auth("admin"))  # fmt: skip
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_test_endpoint_sends_the_real_payload_and_records_it(settings: Settings) -> None:
    with receiver() as sink:

        async def scenario(api: Api) -> None:
            admin = api.auth("admin")
            trigger_id = await _create(api, sink)
            sent = await api.http.post(f"/api/v1/triggers/{trigger_id}/test", headers=admin)
            assert sent.status_code == 200, sent.text
            delivery = sent.json()
            assert delivery["status"] == "delivered" and delivery["is_test"] is True
            assert delivery["attempts"] == 1 and delivery["status_code"] == 200
            (got,) = sink.wait_for(1)
            payload = got.json()
            assert payload["is_test"] is True and payload["delivery_id"] == delivery["id"]
            assert payload["findings"][0]["id"] == 0  # no stored finding: the example
            assert payload["title"].startswith("[loghealth test] error:")
            assert verify(SECRET, got.headers["x-loghealth-timestamp"], got.body,
                          got.headers["x-loghealth-signature"])  # fmt: skip
            assert got.headers["authorization"] == "Bearer t0ken"

            sink.answer(503)
            failed = (await api.http.post(f"/api/v1/triggers/{trigger_id}/test",
                                          headers=admin)).json()  # fmt: skip
            assert failed["status"] == "failed" and failed["last_error"].startswith("HTTP 503")
            trigger = (await api.http.get(f"/api/v1/triggers/{trigger_id}", headers=admin)).json()
            assert trigger["consecutive_failures"] == 0  # tests do not mark a trigger failing

            listed = await api.http.get(f"/api/v1/triggers/{trigger_id}/deliveries",
                                        headers=api.auth("viewer"))  # fmt: skip
            assert [d["status"] for d in listed.json()] == ["failed", "delivered"]
            only_failed = await api.http.get("/api/v1/deliveries?status=failed",
                                             headers=api.auth("viewer"))  # fmt: skip
            assert [d["id"] for d in only_failed.json()] == [failed["id"]]
            missing = await api.http.post("/api/v1/triggers/999/test", headers=admin)
            assert missing.status_code == 404
            gone = await api.http.get("/api/v1/triggers/999/deliveries", headers=admin)
            assert gone.status_code == 404

        run_api(settings, scenario, with_pipeline=False)


def test_test_endpoint_reports_an_egress_refusal(database_url: str, tmp_path: Path) -> None:
    closed = make_settings(database_url, tmp_path)  # no egress.allow: loopback is refused
    with receiver() as sink:

        async def scenario(api: Api) -> None:
            trigger_id = await _create(api, sink)
            sent = await api.http.post(f"/api/v1/triggers/{trigger_id}/test",
                                       headers=api.auth("admin"))  # fmt: skip
            delivery = sent.json()
            assert delivery["status"] == "failed"
            assert "127.0.0.1, a loopback address; refused" in delivery["last_error"]

        run_api(closed, scenario, with_pipeline=False)
        assert sink.requests == []


def test_a_live_finding_fires_the_trigger_end_to_end(settings: Settings) -> None:
    with receiver() as sink:

        async def scenario(api: Api) -> None:
            assert api.pipeline is not None
            stop = asyncio.Event()
            service = notify_service(settings, api.clock)
            dispatcher = asyncio.create_task(service(api.pipeline, None, stop))
            try:
                trigger_id = await _create(api, sink, group_window_secs=0, min_interval_secs=0,
                                           events=["opened", "resolved"],
                                           filters={"signature_ids": ["boom"]})  # fmt: skip
                await push(api, "c1", "WOBBLE 1", "BOOM 1", "BOOM 2")
                finding = await boom_finding(api)
                (got,) = await asyncio.to_thread(sink.wait_for, 1)
                await api.http.post(f"/api/v1/findings/{finding['id']}/resolve",
                                    headers=api.auth("admin"))  # fmt: skip
                await asyncio.to_thread(sink.wait_for, 2)
            finally:
                stop.set()
                await dispatcher
            payload = got.json()
            assert payload["event"] == "opened" and payload["is_test"] is False
            assert payload["trigger"] == {"id": trigger_id, "name": "ops"}
            (sent,) = payload["findings"]
            assert sent["id"] == finding["id"] and sent["signature_id"] == "boom"
            assert sent["source_id"] == "client:c1" and sent["severity"] == "error"
            assert sent["sample"] == finding["sample"]
            assert sent["dashboard_url"] == f"http://dash.test/findings/{finding['id']}"
            assert verify(SECRET, got.headers["x-loghealth-timestamp"], got.body,
                          got.headers["x-loghealth-signature"])  # fmt: skip
            recovery = sink.requests[1].json()
            assert recovery["event"] == "resolved"
            assert len(sink.requests) == 2  # WOBBLE is filtered out, BOOM sent once
            deliveries = TriggerStore(api.context.store.engine).deliveries(trigger_id)
            assert [(d.event, d.status.value) for d in deliveries] == [
                ("resolved", "delivered"), ("opened", "delivered")
            ]  # fmt: skip

        run_api(settings, scenario)


def test_migration_defaults_fill_triggers_stored_before(tmp_path: Path) -> None:
    from loghealth.store.migrate import create_store_engine, migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_store_engine(url)
    migrate(engine, "0002")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO triggers (name, enabled, filters, notifier, created_at, updated_at) "
            'VALUES (\'old\', 1, \'{}\', \'{"type": "webhook", "url": "http://h.test/"}\', '
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    migrate(engine)
    (old,) = TriggerStore(engine).list()
    assert old.events == ["opened", "regressed"]
    assert (old.min_interval_secs, old.group_window_secs, old.is_failing) == (300, 5, False)
    engine.dispose()
