"""Sources, Clients and Rules pages in a real browser (Debian's Chromium) on `loghealth serve`.

Same harness as `test_browser.py` (its `Tab`, never `playwright install`); this module starts its
own server, registers three fleet clients through the API, and leaves full-page screenshots
(light and dark, Russian, phone) in `test-artifacts/screenshots/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.live import LiveServe, launch_chromium, serve_for_browser
from tests.web.test_browser import Tab

pytestmark = pytest.mark.browser

FLUX_LINE = "2026-03-14 08:02:11,000 ERROR core: flux capacitor coil failed"
PHONE = {"width": 390, "height": 844}


def _seed_clients(server: LiveServe) -> None:
    """kiosk-1 healthy, kiosk-2 critical (an ERROR entry), kiosk-3 registered, never heard of."""
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=10) as api:
        for number, group in ((1, "lobby"), (2, "lobby"), (3, "hall")):
            client = {"hostname": f"kiosk{number}.local", "description": f"Kiosk {number}",
                      "group": group, "model": "KX-200"}  # fmt: skip
            assert api.put(f"/clients/kiosk-{number}", json=client).status_code == 200
            if number == 3:
                continue
            beat = {"process_status": "running", "app_status": "OK", "process_name": "player"}
            assert api.post(f"/clients/kiosk-{number}/heartbeat", json=beat).status_code == 200
        entries = [{"level": "INFO", "message": f"screen refreshed {i}"} for i in range(4)]
        entries.append({"level": "WARN", "message": "frame dropped", "logger": "player.video"})
        assert api.post("/clients/kiosk-1/logs", json={"entries": entries}).status_code == 202
        crash = {"level": "ERROR", "message": "player crashed: SIGSEGV", "logger": "player",
                 "context": {"code": 139, "restarts": 2}}  # fmt: skip
        assert api.post("/clients/kiosk-2/logs", json={"entries": [crash]}).status_code == 202


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServe]:
    yield from serve_for_browser(tmp_path_factory.mktemp("serve-admin"), _seed_clients)


@pytest.fixture(scope="module")
def browser(server: LiveServe) -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture
def tab(browser: Any, server: LiveServe) -> Iterator[Tab]:
    opened = Tab(browser, server.url, color_scheme="light")
    yield opened
    opened.close()


def _shot(tab: Tab, name: str) -> None:
    """A full-page screenshot from the top (typing may have scrolled; the header is sticky)."""
    tab.page.evaluate("window.scrollTo(0, 0)")
    tab.shot(name)


def _rows(tab: Tab, table: str, attribute: str) -> int:
    return int(tab.page.locator(f"[data-testid={table}] tbody tr[{attribute}]").count())


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_render_with_data_and_no_console_errors(
    browser: Any, server: LiveServe, scheme: str
) -> None:
    tab = Tab(browser, server.url, color_scheme=scheme)
    try:
        tab.login()
        page = tab.page
        tab.goto("/sources")
        assert page.locator("h1").inner_text() == "Sources"
        assert _rows(tab, "sources-table", "data-source-id") >= 1
        app_row = page.locator("tr[data-source-id$='/logs/app.log']")
        assert int(app_row.locator(".score-chip").inner_text()) < 100
        assert app_row.locator("td.num").first.inner_text() != "0"
        _shot(tab, f"sources-{scheme}")
        tab.goto("/clients")
        assert _rows(tab, "clients-table", "data-client-id") == 3
        assert page.locator("tr[data-client-id=kiosk-2] td .pill").first.inner_text() == "Critical"
        assert page.locator("tr[data-client-id=kiosk-3] td .pill").first.inner_text() == "Offline"
        assert page.locator("tr[data-client-id=kiosk-2] [data-testid=rotate-key]").count() == 1
        _shot(tab, f"clients-{scheme}")
        tab.goto("/clients/kiosk-2")
        assert page.get_by_test_id("client-status").inner_text() == "Critical"
        assert "SIGSEGV" in page.get_by_test_id("log-table").inner_text()
        assert page.get_by_test_id("client-admin").get_by_test_id("delete-client").count() == 1
        page.locator("details.context summary").first.click()
        _shot(tab, f"client-{scheme}")
        tab.goto("/rules")
        assert _rows(tab, "rules-table", "data-rule-id") >= 20
        _shot(tab, f"rules-{scheme}")
        tab.goto("/rules/edit?id=flux-failed")
        page.locator("#test-lines").fill(
            f"{FLUX_LINE}\n2026-03-14 08:02:13,000 INFO core: all good"
        )
        page.wait_for_selector("[data-testid=test-match]")
        _shot(tab, f"rule-editor-{scheme}")
        assert tab.errors == []
    finally:
        tab.close()


def test_the_rule_tester_shows_a_match_while_typing(tab: Tab, server: LiveServe) -> None:
    tab.login()
    tab.goto("/rules")
    page = tab.page
    page.locator("#test-lines").press_sequentially(FLUX_LINE, delay=5)
    match = page.locator("[data-testid=test-match]")
    match.wait_for(timeout=5_000)  # no button pressed: htmx sends it after a pause in typing
    assert "Flux capacitor failed" in match.inner_text()
    assert page.locator(".test-captures dd").first.inner_text() == "coil"
    assert page.locator(".verdicts li[data-gate=passed]").count() == 1

    # in the editor, the unsaved rule is tried as you type, and its problems show at the field
    tab.goto("/rules/edit")
    page.fill("#rule-id", "buzz-count")
    page.fill("#rule-name", "Buzzer went off")
    page.locator("#rule-patterns").press_sequentially(r"BUZZ (?P<n>\d+", delay=5)
    page.locator("#test-lines").fill("2026-03-14 08:03:00,000 ERROR core: BUZZ 7")
    page.wait_for_selector("#err-patterns .field-error")
    assert "line 1" in page.locator("#err-patterns").inner_text()
    assert page.get_by_test_id("draft-state").inner_text().startswith("The rule has problems")
    page.locator("#rule-patterns").press_sequentially(")", delay=5)
    page.wait_for_selector("[data-testid=draft-state].is-good")
    assert page.locator("#err-patterns .field-error").count() == 0
    matched = page.locator("[data-testid=test-match]")
    assert "Buzzer went off" in matched.inner_text() and "buzz-count" in matched.inner_text()
    assert page.locator(".test-captures dd").first.inner_text() == "7"
    _shot(tab, "rule-editor-draft-light")
    assert server.api("/rules/buzz-count").status_code == 404  # tested, never stored
    assert tab.errors == []


def test_enable_and_disable_from_the_list_change_the_api(tab: Tab, server: LiveServe) -> None:
    tab.login()
    tab.goto("/rules?q=wobble")
    page = tab.page
    page.click("[data-testid=disable-wobble]")
    page.wait_for_url("**done=disable*")
    assert page.get_by_test_id("rules-notice").inner_text() == "wobble is disabled."
    assert server.api("/rules/wobble").json()["enabled"] is False
    assert "wobble" in server.api("/rules/effective").json()["disabled"]
    assert page.locator("tr[data-rule-id=wobble] [data-testid=rule-state]").inner_text() == (
        "Disabled"
    )
    page.click("[data-testid=enable-wobble]")
    page.wait_for_url("**done=enable*")
    assert server.api("/rules/wobble").json()["enabled"] is True
    assert "wobble" not in server.api("/rules/effective").json()["disabled"]
    assert tab.errors == []


def test_an_admin_follows_and_stops_a_path(tab: Tab, server: LiveServe) -> None:
    extra = server.log.parent / "extra.log"
    extra.write_text("2026-03-14 09:00:00,000 INFO core: hello\n")
    tab.login()
    tab.goto("/sources")
    page = tab.page
    page.fill("#source-path", "relative/path.log")
    page.click("[data-testid=add-source] button[type=submit]")
    assert "Enter an absolute path" in page.locator("#source-path-error").inner_text()
    tab.errors.clear()  # the 400 of the refused form is expected
    page.fill("#source-path", str(extra))
    page.click("[data-testid=add-source] button[type=submit]")
    page.wait_for_url("**done=added*")
    assert "1 source(s) started" in page.locator(".alert-ok").inner_text()
    source_id = f"file:{extra}"
    assert source_id in {s["id"] for s in server.api("/sources").json()}
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"tr[data-source-id='{source_id}'] [data-testid=remove-source]").click()
    page.wait_for_url("**done=removed*")  # serve stopped it (its path rescan may start it again)
    assert "The source was stopped" in page.locator(".alert-ok").inner_text()
    assert tab.errors == []


def test_an_admin_rotates_a_client_key(tab: Tab, server: LiveServe) -> None:
    tab.login()
    tab.goto("/clients/kiosk-3")
    page = tab.page
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_test_id("delete-client").click()  # dismissed: nothing is deleted
    assert "its ingest key and all its stored log entries" in questions[0]
    assert "Its findings stay." in questions[0]
    assert server.api("/clients/kiosk-3").status_code == 200
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("client-admin").get_by_test_id("rotate-key").click()
    page.get_by_test_id("new-key").wait_for()
    key = page.get_by_test_id("new-key-value").input_value()
    assert key.startswith("lhk_") and key not in page.url
    assert page.url == f"{server.url}/clients/kiosk-3"  # a reload shows no key and posts nothing
    assert "stopped working" in page.get_by_test_id("old-key-warning").inner_text()
    _shot(tab, "client-new-key-light")
    pushed = httpx.post(
        f"{server.url}/api/v1/clients/kiosk-3/logs", timeout=10,
        json={"entries": [{"level": "INFO", "message": "new key works"}]},
        headers={"Authorization": f"Bearer {key}"},
    )  # fmt: skip
    assert pushed.status_code == 202
    page.reload()
    assert page.get_by_test_id("new-key").count() == 0 and key not in page.content()
    assert tab.errors == []


def test_viewers_see_no_buttons_that_change_anything(tab: Tab, server: LiveServe) -> None:
    tab.login("viewer")
    page = tab.page
    tab.goto("/sources")
    assert page.locator("#source-path").count() == 0
    assert page.locator("[data-testid=remove-source]").count() == 0
    tab.goto("/rules")
    assert page.locator("button[formaction]").count() == 0
    assert page.get_by_test_id("new-rule").count() == 0
    tab.goto("/rules/edit?id=flux-failed")
    assert page.get_by_test_id("save-rule").count() == 0
    assert page.locator("#rule-patterns").is_disabled()
    tab.goto("/clients")
    assert page.get_by_test_id("rotate-key").count() == 0
    assert page.get_by_test_id("delete-client").count() == 0
    tab.goto("/clients/kiosk-2")
    assert page.get_by_test_id("log-table").count() == 0
    assert page.get_by_test_id("viewer-note").count() == 1
    assert page.get_by_test_id("client-admin").count() == 0
    assert tab.errors == []


def test_russian_and_phone_layouts(browser: Any, server: LiveServe) -> None:
    for scheme in ("light", "dark"):
        ru = Tab(browser, server.url, color_scheme=scheme, locale="ru-RU")
        try:
            ru.login()
            for path, title, name in (("/sources", "Источники", "sources"),
                                      ("/clients", "Клиенты", "clients"),
                                      ("/rules", "Правила", "rules")):  # fmt: skip
                ru.goto(path)
                assert ru.page.locator("h1").inner_text() == title
                _shot(ru, f"{name}-ru-{scheme}")
            ru.page.locator("#test-lines").fill(FLUX_LINE)
            ru.page.wait_for_selector("[data-testid=test-match]")
            assert "Совпало" in ru.page.get_by_test_id("test-match").inner_text()
            assert ru.errors == []
        finally:
            ru.close()
    phone = Tab(browser, server.url, color_scheme="light", is_mobile=True, has_touch=True)
    try:
        phone.page.set_viewport_size(PHONE)
        phone.login()
        for path, name in (("/sources", "sources"), ("/clients", "clients"),
                           ("/clients/kiosk-2", "client"), ("/rules", "rules"),
                           ("/rules/edit?id=flux-failed", "rule-editor")):  # fmt: skip
            phone.goto(path)
            width = phone.page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} is {width} px wide on a 390 px phone"
            _shot(phone, f"{name}-phone")
        assert phone.errors == []
    finally:
        phone.close()
