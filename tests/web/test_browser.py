"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, on `loghealth serve`.

Never `playwright install`: the tests use `/usr/bin/chromium` (`apt-get install chromium`, done by
`.ci/run`). Outside CI they skip when it is missing; under `CI=true` they fail. Full-page
screenshots of every page, light and dark, land in `test-artifacts/screenshots/` (printed at the
end of the run); `LOGHEALTH_UPDATE_DOCS_IMAGES=1` also refreshes `docs/images/`.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import PASSWORD
from tests.web.live import REPO, LiveServe, launch_chromium, serve_for_browser

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
DOCS_IMAGES = REPO / "docs" / "images"
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServe]:
    yield from serve_for_browser(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def browser(server: LiveServe) -> Iterator[Any]:
    yield from launch_chromium()


class Tab:
    """A page with its console errors recorded (errors, page errors, failed requests)."""

    def __init__(self, browser: Any, base: str, **context: Any) -> None:
        self.base = base
        self.context = browser.new_context(viewport=DESKTOP, **context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("response", self._response)

    def _response(self, response: Any) -> None:
        if response.status >= 400 and "/login" not in response.url:
            self.errors.append(f"{response.status} {response.url}")

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")

    def login(self, name: str = "admin") -> None:
        self.goto("/login")
        self.page.fill("#login-name", name)
        self.page.fill("#login-password", PASSWORD)
        self.page.click("form[aria-labelledby=with-password] button[type=submit]")
        self.page.wait_for_url(self.base + "/")

    def charts_drawn(self) -> int:
        return int(self.page.evaluate(
            "[...document.querySelectorAll('canvas[data-chart]')]"
            ".filter(c => window.Chart && window.Chart.getChart(c)).length"
        ))  # fmt: skip

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any, server: LiveServe) -> Iterator[Tab]:
    opened = Tab(browser, server.url, color_scheme="light")
    yield opened
    opened.close()


def _first_finding_id(server: LiveServe, signature: str) -> int:
    items = server.api(f"/findings?signature={signature}").json()["items"]
    assert items, f"no finding of {signature}"
    return int(items[0]["id"])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_renders_with_data_and_no_console_errors(
    browser: Any, server: LiveServe, scheme: str
) -> None:
    tab = Tab(browser, server.url, color_scheme=scheme)
    try:
        tab.goto("/login")
        assert tab.page.locator("h1").inner_text() == "Sign in"
        tab.shot(f"login-{scheme}")
        tab.login()
        page = tab.page
        page.wait_for_selector("#feed-body tr.feed-row")
        assert int(page.get_by_test_id("health-score").inner_text()) < 100
        assert page.locator("[data-testid=critical-table] tbody tr").count() >= 1
        assert tab.charts_drawn() == 2
        theme = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (theme == "rgb(13, 17, 23)") == (scheme == "dark")
        tab.shot(f"overview-{scheme}")
        if scheme == "light" and os.environ.get("LOGHEALTH_UPDATE_DOCS_IMAGES"):
            DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_IMAGES / "dashboard-overview.png"), full_page=True)

        tab.goto("/findings?state=all")
        assert page.locator("[data-testid=findings-table] tbody tr[data-finding-id]").count() >= 5
        tab.shot(f"findings-{scheme}")
        flux = _first_finding_id(server, "flux-failed")
        tab.goto(f"/findings/{flux}")
        assert page.locator("h1").inner_text() == "Flux capacitor failed"
        assert page.locator(".captures dd").first.inner_text() == "coil"
        assert tab.charts_drawn() == 1
        tab.shot(f"finding-{scheme}")
        assert tab.errors == []
        tab.goto("/findings/999999")
        assert page.locator("h1").inner_text() == "Something went wrong"
        assert all("404" in error for error in tab.errors)  # only the one we asked for
    finally:
        tab.close()


def test_a_line_appended_to_the_log_appears_in_the_live_feed(tab: Tab, server: LiveServe) -> None:
    tab.login()
    page = tab.page
    page.wait_for_selector("#live-status[data-connected=true]", timeout=10_000)
    box = "document.querySelector('[data-testid=critical-table]').getBoundingClientRect().top"
    feed = "document.querySelector('.feed-card').getBoundingClientRect().height"
    before = page.evaluate(f"[{box}, {feed}]")
    started = time.monotonic()
    server.append("2026-03-14 08:03:00,000 ERROR core: ZAP 1\n")
    page.wait_for_selector("#feed-body tr.feed-row:has-text('Zap happened')", timeout=2_000)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"the row took {elapsed:.2f} s"
    assert page.locator("#feed-body tr.feed-row").first.inner_text().count("Zap happened") == 1
    assert page.evaluate(f"[{box}, {feed}]") == before  # no layout jump
    assert tab.errors == []


OVERVIEW_STATE = """() => {
  const text = (selector) => document.querySelector(selector).textContent.trim();
  const chart = (source) => Chart.getChart(document.querySelector(`canvas[data-source=${source}]`));
  return {
    active: parseInt(text("[data-testid=active-count]").replace(/\\D/g, ""), 10),
    legendError: parseInt(text("[data-testid=severity-legend] [data-severity=error]"), 10),
    chartError: chart("severity-data").data.datasets[0].data[1],
    timelineTotal: chart("timeline-data").data.datasets
      .reduce((sum, set) => sum + set.data.reduce((a, b) => a + b, 0), 0),
    critical: [...document.querySelectorAll("[data-testid=critical-table] tbody tr")]
      .map((row) => row.querySelector(".cell-title").textContent.trim()),
    sources: text("#sources-card"),
    tops: ["#category-card", "#timeline-card", ".feed-card", "#critical-card", ".footer"]
      .map((selector) => document.querySelector(selector).getBoundingClientRect().top),
  };
}"""
SAME_CHARTS = """() => ["severity-data", "timeline-data"].every((source, i) =>
  Chart.getChart(document.querySelector(`canvas[data-source=${source}]`)) === window.__charts[i])"""


def test_the_overview_panels_follow_new_findings_without_a_reload(
    tab: Tab, server: LiveServe
) -> None:
    tab.login()
    page = tab.page
    page.wait_for_selector("#live-status[data-connected=true]", timeout=10_000)
    page.evaluate(
        "window.__marker = 1; window.__charts = ['severity-data', 'timeline-data'].map("
        "(s) => Chart.getChart(document.querySelector(`canvas[data-source=${s}]`)))"
    )
    before = page.evaluate(OVERVIEW_STATE)
    assert before["legendError"] == before["chartError"]
    assert "Gizmo jammed" not in before["critical"]
    started = time.monotonic()
    server.append("2026-03-14 08:04:00,000 ERROR tls: GIZMO jammed\n")
    page.wait_for_function(
        "(n) => parseInt(document.querySelector('[data-testid=active-count]')"
        ".textContent.replace(/\\D/g, ''), 10) > n",
        arg=before["active"],
        timeout=4_000,
    )
    elapsed = time.monotonic() - started
    assert elapsed < 4.0, f"the panels took {elapsed:.2f} s"
    page.wait_for_timeout(100)  # let htmx settle the swaps
    after = page.evaluate(OVERVIEW_STATE)
    assert after["active"] == before["active"] + 1
    assert after["legendError"] == after["chartError"] == before["legendError"] + 1
    assert after["timelineTotal"] == before["timelineTotal"] + 1
    assert "Gizmo jammed" in after["critical"]
    assert f"{after['active']} open" in after["sources"]
    assert page.evaluate("window.__marker") == 1  # the same page: no reload
    assert page.evaluate(SAME_CHARTS)  # charts updated in place, not drawn again
    assert after["tops"] == before["tops"]  # no layout jump, even below the last panels
    tab.shot("overview-live-update")
    assert tab.errors == []


RECORD_PANEL_REQUESTS = """() => {
  window.__panelRequests = [];
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.target.id === "overview-panels") window.__panelRequests.push(performance.now());
  });
}"""


def test_overview_panels_refresh_at_most_every_two_seconds(tab: Tab, server: LiveServe) -> None:
    tab.login()
    page = tab.page
    page.wait_for_selector("#live-status[data-connected=true]", timeout=10_000)
    page.evaluate(RECORD_PANEL_REQUESTS)
    for i in range(6):  # a hit every 0.3 s: six events, one "updated" each
        server.append(f"2026-03-14 08:05:0{i},000 ERROR tls: GIZMO jammed\n")
        page.wait_for_timeout(300)
    page.wait_for_timeout(2_600)  # room for the trailing refresh
    times = page.evaluate("window.__panelRequests")
    assert 2 <= len(times) <= 3, times  # not one per event, and the last events are shown
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= 1_950 for gap in gaps), gaps
    gizmo = _first_finding_id(server, "gizmo-jammed")
    count = server.api(f"/findings/{gizmo}").json()["count"]
    row = page.locator(f"[data-testid=critical-table] tr[data-finding-id='{gizmo}'] td.num")
    assert row.inner_text() == str(count)
    assert tab.errors == []


def test_overview_panels_refresh_every_30_s_without_events(tab: Tab, server: LiveServe) -> None:
    tab.page.clock.install()
    tab.login()
    page = tab.page
    page.wait_for_selector("#live-status[data-connected=true]", timeout=10_000)
    with page.expect_request("**/ui/overview/panels?range=24h", timeout=5_000):
        page.clock.fast_forward("00:31")
    page.click("#timeline-card a[href='/?range=7d']")  # the panels then follow the new range
    page.wait_for_selector("#timeline-card a[href='/?range=7d'][aria-current=true]")
    with page.expect_response("**/ui/overview/panels?range=7d", timeout=5_000) as polled:
        page.clock.fast_forward("00:31")
    assert polled.value.ok
    page.wait_for_function(
        "Chart.getChart(document.querySelector('canvas[data-source=timeline-data]'))"
        ".data.labels.length === 28"
    )
    assert tab.errors == []


def test_resolve_from_the_ui_changes_the_state_in_the_api(tab: Tab, server: LiveServe) -> None:
    wobble = _first_finding_id(server, "wobble")
    assert server.api(f"/findings/{wobble}").json()["state"] in ("open", "regressed")
    tab.login()
    tab.goto(f"/findings/{wobble}")
    tab.page.click("button[data-action=resolve]")
    tab.page.wait_for_url(f"**/findings/{wobble}?done=resolve*")
    assert tab.page.get_by_test_id("finding-state").inner_text() == "Resolved"
    detail = server.api(f"/findings/{wobble}").json()
    assert detail["state"] == "resolved"
    assert detail["history"][-1]["actor"] == "user:admin"
    tab.page.click("button[data-action=reopen]")
    tab.page.wait_for_url(f"**/findings/{wobble}?done=reopen*")
    assert server.api(f"/findings/{wobble}").json()["state"] == "open"
    assert tab.errors == []


def test_bulk_resolve_from_the_findings_table(tab: Tab, server: LiveServe) -> None:
    tab.login()
    tab.goto("/findings?state=active&q=flux")
    page = tab.page
    assert page.locator("button[data-needs-selection]").first.is_disabled()
    page.check("[data-select-all]")
    assert page.locator("button[data-needs-selection]").first.is_enabled()
    page.click("button[name=action][value=ignore]")
    page.wait_for_url("**done=ignore*")
    flux = _first_finding_id(server, "flux-failed")
    assert server.api(f"/findings/{flux}").json()["state"] == "ignored"
    tab.goto(f"/findings/{flux}")
    page.click("button[data-action=reopen]")
    page.wait_for_url("**done=reopen*")
    assert tab.errors == []


def test_the_russian_ui_shows_russian_text(browser: Any, server: LiveServe) -> None:
    for scheme in ("light", "dark"):
        tab = Tab(browser, server.url, color_scheme=scheme, locale="ru-RU")
        try:
            tab.goto("/login")
            assert tab.page.locator("h1").inner_text() == "Вход"
            tab.login()
            page = tab.page
            assert page.locator("h1").inner_text() == "Обзор"
            assert "Общее здоровье" in page.locator("main").inner_text()
            page.wait_for_selector("#feed-body tr.feed-row")
            tab.shot(f"overview-ru-{scheme}")
            tab.goto("/findings?state=all")
            assert "Находки" in page.locator("h1").inner_text()
            assert page.locator("th").filter(has_text="Важность").count() == 1
            tab.shot(f"findings-ru-{scheme}")
            page.click("nav.langs a[hreflang=en]")
            page.wait_for_load_state("load")
            assert page.locator("h1").inner_text() == "Findings"
            assert tab.errors == []
        finally:
            tab.close()


def test_viewer_sees_no_action_buttons(tab: Tab, server: LiveServe) -> None:
    tab.login("viewer")
    tab.goto("/findings?state=all")
    assert tab.page.locator("button[name=action]").count() == 0
    assert tab.page.locator("[data-select-all]").count() == 0
    tab.goto(f"/findings/{_first_finding_id(server, 'flux-failed')}")
    assert tab.page.locator("button[data-action]").count() == 0
    assert tab.errors == []


def test_theme_switch_persists_and_the_phone_layout_fits(browser: Any, server: LiveServe) -> None:
    tab = Tab(browser, server.url, color_scheme="light")
    try:
        tab.login()
        page = tab.page
        assert page.get_attribute("#theme-toggle", "aria-pressed") == "false"
        page.click("#theme-toggle")
        assert page.get_attribute("html", "data-theme") == "dark"
        page.reload()
        assert page.get_attribute("html", "data-theme") == "dark"
        assert page.get_attribute("#theme-toggle", "aria-pressed") == "true"
        page.click("#theme-toggle")
        assert page.get_attribute("html", "data-theme") == "light"
    finally:
        tab.close()
    phone = Tab(browser, server.url, color_scheme="light", is_mobile=True, has_touch=True)
    try:
        phone.page.set_viewport_size({"width": 390, "height": 844})
        phone.login()
        phone.page.wait_for_selector("#feed-body tr.feed-row")
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the overview is {width} px wide on a 390 px phone"
        phone.shot("overview-phone")
        phone.goto("/findings")
        assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
        phone.shot("findings-phone")
        assert phone.errors == []
    finally:
        phone.close()
