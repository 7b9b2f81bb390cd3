"""Dashboard Sources, Clients and Rules pages over ASGI: data, roles, CSRF, editor, tester, ru."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from loghealth.store.clients import ClientInfo, ClientLevel, EntryData, Heartbeat
from loghealth.store.repository import Batch, SourceSnapshot
from loghealth.web.i18n import load_messages
from loghealth.web.pages.clients import LEVEL_KEYS, SINCE_CHOICES
from loghealth.web.pages.rule_test import GATE_KEYS
from loghealth.web.pages.rules import ORIGIN_KEYS
from loghealth.web.pages.sources import DROP_REASONS, SOURCE_STATES
from tests.web.conftest import Dashboard, run_dashboard, web_settings

APP_LOG = "file:/var/log/app.log"
NET_LOG = "file:/var/log/net.log"
FLUX_LINE = "2026-03-14 08:02:11,000 ERROR core: flux capacitor coil failed"


def run(tmp_path: Path, scenario) -> None:
    run_dashboard(web_settings(tmp_path), scenario)


@dataclass
class FakeControl:
    """Stands in for serve's source control: records what the pages asked for."""

    running: set[str] = field(default_factory=lambda: {APP_LOG})
    added: list[str] = field(default_factory=list)

    def add_path(self, path: str) -> list[str]:
        self.added.append(path)
        return [f"file:{path}"]

    def remove(self, source_id: str) -> bool:
        if source_id not in self.running:
            return False
        self.running.discard(source_id)
        return True


def seed_sources(d: Dashboard) -> None:
    now = d.clock.now()
    snapshots = {
        APP_LOG: SourceSnapshot(
            "file", "python_logging", "running", 1234, 1300, 66, 1536, 4,
            {"hit_cooldown": 3, "hit_rate_limit": 1}, now - timedelta(minutes=5),
        ),
        NET_LOG: SourceSnapshot(
            "file", None, "error", 0, 0, 0, 0, 0, {}, None, "permission denied: net.log"
        ),
    }  # fmt: skip
    d.context.store.commit(Batch(sources=snapshots), now)


def seed_clients(d: Dashboard) -> None:
    """kiosk-1 healthy, kiosk-2 critical (an ERROR entry), kiosk-3 offline (old heartbeat)."""
    clients, now = d.context.clients, d.clock.now()
    for number, group in ((1, "lobby"), (2, "lobby"), (3, "hall")):
        info = ClientInfo(f"kiosk-{number}", hostname=f"kiosk{number}.local",
                          description=f"Kiosk {number}", group=group)  # fmt: skip
        clients.upsert(info, now)
        seen = now if number < 3 else now - timedelta(hours=2)
        clients.heartbeat(info.id, Heartbeat(process_status="running", app_status="OK"), seen)
    entries = [
        EntryData("kiosk-1", now - timedelta(minutes=i), ClientLevel.INFO, f"screen refreshed {i}")
        for i in range(3)
    ]
    crash = "player crashed: SIGSEGV"
    at = now - timedelta(minutes=1)
    entries.append(EntryData("kiosk-2", at, ClientLevel.ERROR, crash, "player", {"code": 139}))
    clients.add_entries(entries)


def _row(html: str, attribute: str, value: str) -> str:
    found = re.search(rf'<tr {attribute}="{re.escape(value)}".*?</tr>', html, re.S)
    assert found is not None, f"no row {value}"
    return found.group(0)


# ---- navigation, translations --------------------------------------------------------------
def test_navigation_lists_the_three_pages_for_viewers(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("viewer")
        page = await d.http.get("/sources")
        nav = re.search(r'<nav class="mainnav".*?</nav>', page.text, re.S)
        assert nav is not None
        assert re.findall(r'href="(/[a-z]*)"', nav.group(0))[-3:] == [
            "/sources", "/clients", "/rules",
        ]  # fmt: skip
        assert 'href="/sources" aria-current="page"' in nav.group(0)

    run(tmp_path, scenario)


def test_every_key_built_at_run_time_exists_in_english_and_russian() -> None:
    keys = {*LEVEL_KEYS.values(), *GATE_KEYS.values(), *ORIGIN_KEYS.values()}
    keys |= {f"sources.drop_{reason}" for reason in DROP_REASONS}
    keys |= {f"sources.state_{state}" for state in SOURCE_STATES}
    keys |= {f"sources.size_{unit}" for unit in ("b", "kib", "mib", "gib")}
    keys |= {f"clients.since_{value}" for value in SINCE_CHOICES}
    keys |= {f"rules.notice_{done}" for done in ("enable", "disable", "deleted")}
    keys |= {f"rules.error_{name}" for name in ("not_found", "conflict", "reload", "catalog")}
    keys |= {"rules.edit_exists", "rules.test_too_many", "rules.test_bad_format"}
    for lang in ("en", "ru"):
        missing = sorted(keys - set(load_messages(lang)))
        assert missing == [], lang
    assert len(GATE_KEYS) == 7


def test_the_pages_speak_russian(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        seed_sources(d)
        seed_clients(d)
        await d.login("admin")
        ru = {"Accept-Language": "ru-RU,ru;q=0.9"}
        sources = await d.http.get("/sources", headers=ru)
        assert "<h1>Источники</h1>" in sources.text and "Пауза после срабатывания" in sources.text
        assert "1,5 КиБ" in sources.text and "Следить за путём" in sources.text
        clients = await d.http.get("/clients", headers=ru)
        assert "<h1>Клиенты</h1>" in clients.text and "Последний сигнал" in clients.text
        client = await d.http.get("/clients/kiosk-2?level=error", headers=ru)
        assert "Записи журнала" in client.text and "Ошибки" in client.text
        rules = await d.http.get("/rules", headers=ru)
        assert "<h1>Правила</h1>" in rules.text and "Проверка правил" in rules.text
        assert "Файл правил" in rules.text and "Отключить" in rules.text
        token = await d.csrf("/rules")
        tested = await d.http.post("/rules/test", data={"lines": FLUX_LINE, "csrf_token": token},
                                   headers=ru)  # fmt: skip
        assert "Совпало" in tested.text and "Пройдено" in tested.text
        editor = await d.http.get("/rules/edit", headers=ru)
        assert "Новое правило" in editor.text and "Шаблоны (регулярные выражения)" in editor.text

    run(tmp_path, scenario)


# ---- sources -------------------------------------------------------------------------------
def test_sources_page_shows_state_health_counters_drops_and_errors(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        seed_sources(d)
        await d.login("viewer")
        page = await d.http.get("/sources")
        assert page.status_code == 200
        api = {s["id"]: s for s in (await d.http.get("/api/v1/sources", headers=d.api())).json()}
        app = _row(page.text, "data-source-id", APP_LOG)
        score = api[APP_LOG]["health"]["score"]
        assert score < 100 and f'status-{api[APP_LOG]["health"]["status"]}"' in app
        assert f">{score}</span>" in app
        for text in ("1,234", "1,300", "66", "1.5 KiB", "Cooldown", "Rate limit", "Running",
                     "python_logging", "1 open", "5 min ago"):  # fmt: skip
            assert text in app, text
        net = _row(page.text, "data-source-id", NET_LOG)
        assert "permission denied: net.log" in net and "badge src-state src-error" in net
        assert 'data-testid="sources-count">2<' in page.text
        # a viewer gets neither the form nor the stop buttons
        assert 'action="/sources/add"' not in page.text and "remove-source" not in page.text

    run(tmp_path, scenario)


def test_admins_follow_and_stop_sources_when_serve_runs(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        seed_sources(d)
        await d.login("admin")
        no_control = await d.http.get("/sources")
        assert (
            'data-testid="no-control"' in no_control.text and "remove-source" not in no_control.text
        )
        token = await d.csrf("/sources")
        refused = await d.http.post("/sources/add", data={"csrf_token": token, "path": "/x.log"})
        assert refused.status_code == 503

        control = FakeControl()
        d.context.sources = control
        assert d.context.pipeline is not None
        d.context.pipeline.sources[APP_LOG] = SimpleNamespace(kind="file")  # type: ignore[assignment]
        page = await d.http.get("/sources")
        assert 'action="/sources/add"' in page.text
        assert "remove-source" in _row(page.text, "data-source-id", APP_LOG)
        relative = await d.http.post(
            "/sources/add", data={"csrf_token": token, "path": "logs/x.log"}
        )
        assert relative.status_code == 400 and control.added == []
        assert 'id="source-path-error"' in relative.text and 'value="logs/x.log"' in relative.text
        assert "Enter an absolute path" in relative.text
        added = await d.http.post("/sources/add", data={"csrf_token": token, "path": "/srv/*.log"})
        assert added.status_code == 303 and added.headers["location"] == "/sources?done=added&n=1"
        assert control.added == ["/srv/*.log"]
        assert "1 source(s) started" in (await d.http.get(added.headers["location"])).text
        form = {"csrf_token": token, "source_id": APP_LOG}
        removed = await d.http.post("/sources/remove", data=form)
        assert removed.headers["location"] == "/sources?done=removed" and control.running == set()
        again = await d.http.post("/sources/remove", data=form)
        assert again.headers["location"] == "/sources?done=not_running"

        forged = await d.http.post("/sources/add", data={"csrf_token": "nope", "path": "/a.log"})
        assert forged.status_code == 403 and control.added == ["/srv/*.log"]
        d.http.cookies.clear()
        await d.login("viewer")
        viewer_token = await d.csrf("/sources")
        denied = await d.http.post("/sources/add", data={"csrf_token": viewer_token, "path": "/b"})
        assert denied.status_code == 403 and "Your role does not allow this." in denied.text
        denied = await d.http.post("/sources/remove", data={"csrf_token": viewer_token,
                                                            "source_id": NET_LOG})  # fmt: skip
        assert denied.status_code == 403 and control.added == ["/srv/*.log"]

    run(tmp_path, scenario)


# ---- clients -------------------------------------------------------------------------------
def test_fleet_overview_statuses_counts_and_roles(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        seed_clients(d)
        api = await d.http.get("/api/v1/clients", headers=d.api("superadmin"))
        statuses = {
            item["client"]["id"]: item["client"]["status"] for item in api.json()["clients"]
        }
        assert statuses == {"kiosk-1": "healthy", "kiosk-2": "critical", "kiosk-3": "offline"}
        await d.login("viewer")
        page = await d.http.get("/clients")
        assert page.status_code == 200 and 'data-testid="clients-count">3<' in page.text
        for client_id, status in statuses.items():
            row = _row(page.text, "data-client-id", client_id)
            assert f'data-status="{status}"' in row and f"pill status-{status}" in row
        kiosk1 = _row(page.text, "data-client-id", "kiosk-1")
        assert ">Online<" in kiosk1 and ">3<" in kiosk1  # three INFO entries in 24 h
        assert ">Offline<" in _row(page.text, "data-client-id", "kiosk-3")
        assert 'class="num err-text">1<' in _row(page.text, "data-client-id", "kiosk-2")
        assert "player crashed" not in page.text and 'data-testid="viewer-note"' in page.text
        critical = await d.http.get("/clients?status=critical")
        assert critical.text.count("data-client-id=") == 1 and "kiosk-2" in critical.text
        assert (await d.http.get("/clients?status=zzz")).text.count("data-client-id=") == 3

        d.http.cookies.clear()
        await d.login("admin")
        admin_page = await d.http.get("/clients")
        assert "player crashed: SIGSEGV" in _row(admin_page.text, "data-client-id", "kiosk-2")
        assert 'data-testid="viewer-note"' not in admin_page.text

    run(tmp_path, scenario)


def test_client_log_view_filters_and_pages(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        seed_clients(d)
        now = d.clock.now()
        d.context.clients.add_entries([
            EntryData("kiosk-1", now - timedelta(hours=3, minutes=i),
                      ClientLevel.WARN if i % 10 == 0 else ClientLevel.DEBUG, f"old entry {i}")
            for i in range(60)
        ])  # fmt: skip
        await d.login("admin")
        first = await d.http.get("/clients/kiosk-1")
        assert first.status_code == 200 and "<h1>Kiosk 1</h1>" in first.text
        assert first.text.count("data-entry-id=") == 50
        assert 'rel="next" href="/clients/kiosk-1?page=2"' in first.text
        assert "screen refreshed 0" in first.text  # newest first
        second = await d.http.get("/clients/kiosk-1?page=2")
        assert second.text.count("data-entry-id=") == 13 and 'rel="next"' not in second.text
        warn = await d.http.get("/clients/kiosk-1?level=warn")
        assert warn.text.count('data-level="WARN"') == 6 and 'data-level="INFO"' not in warn.text
        recent = await d.http.get("/clients/kiosk-1?since=1h")
        assert recent.text.count("data-entry-id=") == 3
        nonsense = await d.http.get("/clients/kiosk-1?level=loud&since=forever")
        assert nonsense.status_code == 200 and nonsense.text.count("data-entry-id=") == 50
        crashed = await d.http.get("/clients/kiosk-2")
        assert "SIGSEGV" in crashed.text and '"code": 139' in crashed.text
        assert 'data-testid="client-status">Critical<' in crashed.text
        missing = await d.http.get("/clients/kiosk-9")
        assert missing.status_code == 404 and "There is no such client." in missing.text

        d.http.cookies.clear()
        await d.login("viewer")
        viewer = await d.http.get("/clients/kiosk-2")
        assert viewer.status_code == 200 and "data-entry-id=" not in viewer.text
        assert "SIGSEGV" not in viewer.text and 'data-testid="viewer-note"' in viewer.text

    run(tmp_path, scenario)


# ---- rules: list and switches ---------------------------------------------------------------
def test_rules_list_is_searchable_and_shows_every_origin(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        rule = {"id": "disk-full", "patterns": [r"disk (?P<dev>\w+) full"], "severity": "error",
                "category": "environment", "area": "disk",
                "text": {"name": "Disk is full"}}  # fmt: skip
        created = await d.http.post("/api/v1/rules", json=rule, headers=d.api())
        assert created.status_code == 201, created.text
        await d.login("viewer")
        page = await d.http.get("/rules")
        assert page.status_code == 200
        stored = _row(page.text, "data-rule-id", "disk-full")
        assert "Disk is full" in stored and "Stored rule" in stored and "sev-error" in stored
        assert "Rule file" in _row(page.text, "data-rule-id", "flux-failed")
        smarty = _row(page.text, "data-rule-id", "smarty-login-client-does-not-exist")
        assert "Signature" in smarty and "smarty" in smarty
        total = len(re.findall("data-rule-id=", page.text))
        assert f'data-testid="rules-total">{total} found<' in page.text
        flux = await d.http.get("/rules?q=FLUX")
        assert re.findall(r'data-rule-id="([^"]+)"', flux.text) == ["flux-failed"]
        stored_only = await d.http.get("/rules?origin=stored_rule")
        assert re.findall(r'data-rule-id="([^"]+)"', stored_only.text) == ["disk-full"]
        warnings = await d.http.get("/rules?severity=warning&origin=rule_file")
        assert re.findall(r'data-rule-id="([^"]+)"', warnings.text) == ["wobble"]
        nonsense = await d.http.get("/rules?origin=zzz&state=zzz&severity=zzz")
        assert len(re.findall("data-rule-id=", nonsense.text)) == total
        assert "formaction=" not in page.text and 'data-testid="new-rule"' not in page.text

    run(tmp_path, scenario)


def test_enable_and_disable_change_the_api_and_need_an_admin(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("viewer")
        token = await d.csrf("/rules")
        denied = await d.http.post("/rules/wobble/disable", data={"csrf_token": token})
        assert denied.status_code == 403
        assert (await d.http.get("/api/v1/rules/wobble", headers=d.api())).status_code == 404

        d.http.cookies.clear()
        await d.login("admin")
        page = await d.http.get("/rules?q=wobble")
        assert 'formaction="/rules/wobble/disable"' in page.text
        token = await d.csrf("/rules")
        assert (await d.http.post("/rules/wobble/disable")).status_code == 403  # no token
        done = await d.http.post(
            "/rules/wobble/disable", data={"csrf_token": token, "back": "/rules?q=wobble"}
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/rules?q=wobble&done=disable&rule=wobble"
        api = (await d.http.get("/api/v1/rules/wobble", headers=d.api())).json()
        assert api["enabled"] is False and api["spec"] is None
        effective = (await d.http.get("/api/v1/rules/effective", headers=d.api())).json()
        assert "wobble" in effective["disabled"]
        after = await d.http.get(done.headers["location"])
        assert "wobble is disabled." in after.text
        assert 'data-enabled="false"' in _row(after.text, "data-rule-id", "wobble")
        assert 'formaction="/rules/wobble/enable"' in after.text
        enabled = await d.http.post("/rules/wobble/enable", data={"csrf_token": token})
        assert enabled.headers["location"] == "/rules?done=enable&rule=wobble"
        assert (await d.http.get("/api/v1/rules/wobble", headers=d.api())).json()["enabled"]
        twice = await d.http.post("/rules/wobble/enable", data={"csrf_token": token})
        assert twice.status_code == 303  # the stored switch row is simply enabled again
        unknown = await d.http.post("/rules/no-such-rule/disable", data={"csrf_token": token})
        assert unknown.status_code == 404 and "There is no such rule or signature." in unknown.text

    run(tmp_path, scenario)
