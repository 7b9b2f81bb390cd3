"""Dashboard pages over ASGI: login, sessions, CSRF, roles, rendering, actions, Russian text."""

from __future__ import annotations

from pathlib import Path

import pytest

from loghealth.rules.loader import load_catalog
from loghealth.store.tokens import TokenStore
from loghealth.store.users import UserStore
from tests.web.conftest import SMARTY_ID, Dashboard, csrf_of, run_dashboard, web_settings


def run(tmp_path: Path, scenario) -> None:
    run_dashboard(web_settings(tmp_path), scenario)


def test_pages_need_a_session(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        for path, target in (
            ("/", "/login?next=%2F"),
            ("/findings?state=all", "/login?next=%2Ffindings%3Fstate%3Dall"),
        ):
            response = await d.http.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == target
        htmx = await d.http.get("/findings", headers={"HX-Request": "true"})
        assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")
        assert (await d.http.get("/ui/events")).status_code == 401
        d.http.cookies.set("loghealth_session", "x" * 43)
        assert (await d.http.get("/")).status_code == 303

    run(tmp_path, scenario)


def test_password_login_sets_a_safe_cookie_and_shows_the_overview(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        page = await d.http.get("/login")
        assert page.status_code == 200 and 'name="password"' in page.text
        wrong = await d.login(password="not the password")  # noqa: S106
        assert wrong.status_code == 401
        assert "Wrong user name, password or token." in wrong.text
        assert "loghealth_session" not in d.http.cookies
        unknown = await d.login(name="nobody")
        assert unknown.status_code == 401

        ok = await d.login()
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        cookie = next(
            h for h in ok.headers.get_list("set-cookie") if h.startswith("loghealth_session=")
        )
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        overview = await d.http.get("/")
        assert overview.status_code == 200
        assert "Flux capacitor failed" in overview.text  # critical open findings table
        assert 'data-testid="health-score">61<' in overview.text  # critical x4 hit just now
        assert "Degraded" in overview.text
        csp = overview.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert overview.headers["cache-control"] == "no-store"
        users = UserStore(d.context.store.engine).get("admin")
        assert users is not None and users.last_login_at is not None
        # a logged-in visit to /login goes on to `next`
        again = await d.http.get("/login?next=/findings")
        assert again.status_code == 303 and again.headers["location"] == "/findings"

    run(tmp_path, scenario)


def test_login_redirects_only_to_local_pages(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        for target, expected in (("//evil.example/x", "/"), ("https://evil.example/", "/"),
                                 ("/findings?state=all", "/findings?state=all")):  # fmt: skip
            d.http.cookies.clear()
            token = csrf_of((await d.http.get("/login")).text)
            response = await d.http.post("/login", data={
                "csrf_token": token, "name": "viewer", "password": "correct horse battery",
                "next": target,
            })  # fmt: skip
            assert response.status_code == 303
            assert response.headers["location"] == expected

    run(tmp_path, scenario)


def test_login_form_needs_its_csrf_token(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.http.get("/login")  # sets the double-submit cookie
        forged = await d.http.post(
            "/login", data={"csrf_token": "forged", "name": "admin", "password": "x" * 12}
        )
        assert forged.status_code == 403
        assert "loghealth_session" not in d.http.cookies

    run(tmp_path, scenario)


def test_token_login_uses_the_token_role(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        assert (await d.login_token("lhk_not_a_token")).status_code == 401
        assert (await d.login_token("lht_" + "x" * 43)).status_code == 401
        ok = await d.login_token(d.tokens["viewer"])
        assert ok.status_code == 303
        findings = await d.http.get("/findings")
        assert findings.status_code == 200 and "t-viewer" in findings.text
        assert 'name="action"' not in findings.text  # a viewer token gets no action buttons
        # revoking the token ends the dashboard session at once
        tokens = TokenStore(d.context.store.engine)
        viewer = next(t for t in tokens.list() if t.name == "t-viewer")
        tokens.revoke(viewer.id, d.clock.now())
        assert (await d.http.get("/findings")).status_code == 303

    run(tmp_path, scenario)


def test_roles_decide_the_buttons_and_the_server_enforces_them(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        flux = d.ids["flux-failed"]
        await d.login("viewer")
        page = await d.http.get("/findings")
        assert "data-select-all" not in page.text and "formaction" not in page.text
        detail = await d.http.get(f"/findings/{flux}")
        assert 'data-action="resolve"' not in detail.text
        assert "Ask an admin" in detail.text
        token = csrf_of(page.text)
        refused = await d.http.post(f"/findings/{flux}/resolve", data={"csrf_token": token})
        assert refused.status_code == 403
        assert "Your role does not allow this." in refused.text
        state = (await d.http.get(f"/api/v1/findings/{flux}", headers=d.api())).json()["state"]
        assert state == "open"

        d.http.cookies.clear()
        await d.login("admin")
        page = await d.http.get("/findings")
        assert (
            "data-select-all" in page.text and f'formaction="/findings/{flux}/resolve"' in page.text
        )
        detail = await d.http.get(f"/findings/{flux}")
        for action in ("resolve", "snooze", "ignore"):
            assert f'data-action="{action}"' in detail.text
        assert 'data-action="reopen"' not in detail.text  # not for an open finding

    run(tmp_path, scenario)


def test_actions_need_the_csrf_token_and_change_the_state(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        flux = d.ids["flux-failed"]
        await d.login("admin")
        token = await d.csrf()
        assert (await d.http.post(f"/findings/{flux}/resolve")).status_code == 403
        wrong = await d.http.post(f"/findings/{flux}/resolve", data={"csrf_token": "nope"})
        assert wrong.status_code == 403 and "expired" in wrong.text
        cross = await d.http.post(
            f"/findings/{flux}/resolve", data={"csrf_token": token},
            headers={"Origin": "https://evil.example"},
        )  # fmt: skip
        assert cross.status_code == 403
        api = await d.http.get(f"/api/v1/findings/{flux}", headers=d.api())
        assert api.json()["state"] == "open"

        done = await d.http.post(
            f"/findings/{flux}/resolve",
            data={"csrf_token": token, "back": f"/findings/{flux}"},
            headers={"Origin": "http://testserver"},
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/findings/{flux}?done=resolve&n=1&skipped=0"
        api = await d.http.get(f"/api/v1/findings/{flux}", headers=d.api())
        assert api.json()["state"] == "resolved"
        assert api.json()["history"][-1]["actor"] == "user:admin"
        page = await d.http.get(done.headers["location"])
        assert "Resolve: 1 updated, 0 skipped" in page.text
        # htmx requests send the token as a header
        reopened = await d.http.post(f"/findings/{flux}/reopen", headers={"X-CSRF-Token": token})
        assert reopened.status_code == 303
        api = await d.http.get(f"/api/v1/findings/{flux}", headers=d.api())
        assert api.json()["state"] == "open"

    run(tmp_path, scenario)


def test_bulk_actions_apply_where_they_can(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        flux, wobble = d.ids["flux-failed"], d.ids["wobble"]
        await d.login("admin")
        token = await d.csrf()
        await d.http.post(f"/findings/{wobble}/resolve", data={"csrf_token": token})
        done = await d.http.post(
            "/findings/actions",
            data={"csrf_token": token, "action": "resolve", "ids": [str(flux), str(wobble)],
                  "back": "/findings?state=all&done=ignore&n=9"},
        )  # fmt: skip
        assert done.status_code == 303
        assert done.headers["location"] == "/findings?state=all&done=resolve&n=1&skipped=1"
        snoozed = await d.http.post(
            "/findings/actions",
            data={"csrf_token": token, "action": "snooze", "ids": [str(flux)], "snooze_for": "4h"},
        )
        assert snoozed.status_code == 303
        api = (await d.http.get(f"/api/v1/findings/{flux}", headers=d.api())).json()
        assert api["state"] == "snoozed"
        assert api["snoozed_until"] is not None
        empty = await d.http.post(
            "/findings/actions", data={"csrf_token": token, "action": "resolve"}
        )
        assert empty.status_code == 400 and "Select at least one finding" in empty.text
        bad = await d.http.post(
            "/findings/actions", data={"csrf_token": token, "action": "explode", "ids": [str(flux)]}
        )
        assert bad.status_code == 400

    run(tmp_path, scenario)


def test_findings_filters_search_and_paging(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        from loghealth.model import Area, Category, Severity
        from loghealth.store.repository import Batch, fingerprint
        from tests.web.conftest import delta

        deltas = [
            delta("wobble", f"file:/srv/node{i:02}.log", Severity.WARNING, Category.ENVIRONMENT,
                  Area.NETWORK, f"WOBBLE on node {i}")
            for i in range(30)
        ]  # fmt: skip
        d.context.store.commit(
            Batch(deltas={fingerprint(x.signature_id, x.source_id): x for x in deltas}),
            d.clock.now(),
        )
        await d.login("viewer")
        first = await d.http.get("/findings?state=all")
        assert "33 found" in first.text and "1–25 of 33" in first.text
        assert first.text.count("data-finding-id=") == 25
        second = await d.http.get("/findings?state=all&page=2")
        assert second.text.count("data-finding-id=") == 8 and "26–33 of 33" in second.text
        critical = await d.http.get("/findings?severity=critical")
        assert (
            critical.text.count("data-finding-id=") == 1
            and "Flux capacitor failed" in critical.text
        )
        search = await d.http.get("/findings?q=NODE07")
        assert search.text.count("data-finding-id=") == 1 and "/srv/node07.log" in search.text
        source = await d.http.get("/findings?source=file:/var/log/app.log")
        assert source.text.count("data-finding-id=") == 1
        layer8 = await d.http.get("/findings?category=layer8&area=auth")
        assert layer8.text.count("data-finding-id=") == 1
        resolved = await d.http.get("/findings?state=resolved")
        assert "No findings match these filters." in resolved.text
        nonsense = await d.http.get("/findings?state=zzz&severity=zzz&category=zzz")
        assert nonsense.status_code == 200 and "33 found" in nonsense.text
        bad_page = await d.http.get("/findings?page=abc")
        assert bad_page.status_code == 400
        assert bad_page.headers["content-type"].startswith("text/html")
        assert "a value the page cannot use" in bad_page.text
        api = await d.http.get("/api/v1/findings?limit=abc", headers=d.api("viewer"))
        assert api.status_code == 422
        assert api.headers["content-type"] == "application/problem+json"

    run(tmp_path, scenario)


def test_finding_detail_shows_text_sample_captures_hits_and_history(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        flux = d.ids["flux-failed"]
        await d.login("admin")
        page = await d.http.get(f"/findings/{flux}")
        assert page.status_code == 200
        text = page.text
        assert "<h1>Flux capacitor failed</h1>" in text
        assert "A part of the flux capacitor stopped working." in text
        assert "Replace the part named in the captures." in text
        assert 'href="https://example.org/docs/flux"' in text
        assert "flux capacitor coil failed" in text  # the redacted sample
        assert '<dt class="mono">part</dt><dd class="mono">coil</dd>' in text
        assert 'id="hits-data"' in text and "Hits stored for this finding: 3" in text
        assert "by engine" in text  # history
        missing = await d.http.get("/findings/999999")
        assert missing.status_code == 404 and "There is no such finding." in missing.text

    run(tmp_path, scenario)


def test_russian_from_accept_language_and_from_the_switcher(tmp_path: Path) -> None:
    ru_name = load_catalog(["smarty"]).text(SMARTY_ID, "ru").name

    async def scenario(d: Dashboard) -> None:
        login = await d.http.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
        assert '<html lang="ru">' in login.text and "Вход" in login.text
        await d.login("admin")
        page = await d.http.get("/findings?state=all", headers={"Accept-Language": "ru"})
        assert "Находки" in page.text and "Найдено: 3" in page.text
        assert ru_name in page.text  # the catalog's own Russian text
        assert "Решить" in page.text
        english = await d.http.get("/findings?state=all", headers={"Accept-Language": "en-US"})
        assert "Findings" in english.text and ru_name not in english.text

        switch = await d.http.get("/ui/lang?lang=ru&next=/findings")
        assert switch.status_code == 303 and switch.headers["location"] == "/findings"
        overview = await d.http.get("/", headers={"Accept-Language": "en"})  # the cookie wins
        assert "Общее здоровье" in overview.text and "Живая лента" in overview.text
        unknown = await d.http.get("/ui/lang?lang=xx&next=https://evil.example/")
        assert unknown.headers["location"] == "/"
        assert 'lang="en"' in (await d.http.get("/")).text

    run(tmp_path, scenario)


def test_logout_needs_csrf_and_ends_the_session(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("admin")
        assert (await d.http.post("/logout")).status_code == 403
        token = await d.csrf()
        out = await d.http.post("/logout", data={"csrf_token": token})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert (await d.http.get("/")).status_code == 303

    run(tmp_path, scenario)


def test_disabling_a_user_ends_its_sessions(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("admin")
        assert (await d.http.get("/")).status_code == 200
        UserStore(d.context.store.engine).set_disabled("admin", d.clock.now())
        assert (await d.http.get("/")).status_code == 303
        assert (await d.login("admin")).status_code == 401

    run(tmp_path, scenario)


def test_sessions_expire(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("admin")
        d.clock.advance(11 * 3600)
        assert (await d.http.get("/")).status_code == 200
        d.clock.advance(2 * 3600)
        assert (await d.http.get("/")).status_code == 303

    run(tmp_path, scenario)


def test_overview_range_and_static_files(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("viewer")
        day = await d.http.get("/")
        week = await d.http.get("/?range=7d")
        assert day.text.count('aria-current="true">24 h') == 1
        assert week.text.count('aria-current="true">7 days') == 1
        assert (await d.http.get("/?range=1y")).status_code == 200
        for name in ("htmx.min.js", "htmx-ext-sse.min.js", "chart.umd.min.js", "htmx.LICENSE",
                     "chart.js.LICENSE.md", "htmx-ext-sse.LICENSE"):  # fmt: skip
            response = await d.http.get(f"/static/vendor/{name}")
            assert response.status_code == 200 and len(response.content) > 500
        assert "javascript" in (await d.http.get("/static/js/app.js")).headers["content-type"]
        spec = (await d.http.get("/api/openapi.json")).json()
        assert not any(path in spec["paths"] for path in ("/", "/login", "/findings", "/ui/events"))

    run(tmp_path, scenario)


@pytest.mark.parametrize("path", ["/", "/findings", "/findings?state=all"])
def test_every_page_renders_for_every_role(tmp_path: Path, path: str) -> None:
    async def scenario(d: Dashboard) -> None:
        for name in ("viewer", "admin", "root"):
            d.http.cookies.clear()
            await d.login(name)
            response = await d.http.get(path)
            assert response.status_code == 200, (name, response.text[:500])
            assert f'<span class="who-name">{name}</span>' in response.text

    run(tmp_path, scenario)


PUBLIC_PAGES = {("GET", "/login"), ("POST", "/login"), ("GET", "/ui/lang")}


def test_every_dashboard_route_needs_a_session(tmp_path: Path) -> None:
    """Every route of every page module: all but the login pages need a session."""
    from fastapi.routing import APIRoute

    from loghealth.web.pages import PAGE_MODULES

    async def scenario(d: Dashboard) -> None:
        routes = [
            (method, route.path)
            for module in PAGE_MODULES
            for route in module.router.routes
            if isinstance(route, APIRoute)
            for method in sorted(route.methods)
        ]
        assert len(routes) >= 9
        for method, path in routes:
            concrete = path.replace("{finding_id}", "1").replace("{action}", "resolve")
            response = await d.http.request(method, concrete)
            if (method, path) in PUBLIC_PAGES:
                assert response.status_code in (200, 303, 403), (method, path)
                continue
            assert response.status_code in (303, 401), (method, path, response.status_code)
            location = response.headers.get("location") or response.headers["HX-Redirect"]
            assert location.startswith("/login?next="), (method, path)

    run(tmp_path, scenario)


def test_overview_shows_clients_sources_and_the_timeline(tmp_path: Path) -> None:
    import json
    import re

    from loghealth.store.clients import ClientInfo, Heartbeat

    async def scenario(d: Dashboard) -> None:
        clients = d.context.clients
        clients.upsert(ClientInfo("kiosk-1", hostname="kiosk-1.local"), d.clock.now())
        clients.heartbeat("kiosk-1", Heartbeat(process_status="running"), d.clock.now())
        clients.upsert(ClientInfo("kiosk-2"), d.clock.now())  # never heard of: offline
        await d.login("viewer")
        page = (await d.http.get("/")).text
        found = re.search(
            r'<script type="application/json" id="timeline-data">(.*?)</script>', page
        )
        assert found is not None
        timeline = json.loads(found.group(1))
        assert timeline["total"] == 3 and len(timeline["labels"]) == 24
        by_key = {series["key"]: series["data"] for series in timeline["series"]}
        assert by_key["critical"][-1] == 1  # flux opened now
        assert by_key["warning"][-2] == 1 and by_key["error"][-3] == 1  # an hour apart
        severity = re.search(r'id="severity-data">(.*?)</script>', page)
        assert severity is not None
        assert json.loads(severity.group(1))["data"] == [1, 1, 1, 0]
        sources = page[page.index('id="sources-title"') :]
        assert "client:kiosk-1" in sources and "client:kiosk-2" in sources
        assert "Online" in sources and "Offline" in sources
        assert sources.index("/var/log/app.log") < sources.index("client:kiosk-1")  # worst first
        assert 'data-finding-id="' in page[page.index('id="feed-body"') :]  # history in the feed

    run(tmp_path, scenario)


def test_login_attempts_are_rate_limited(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        statuses = [(await d.login("admin", "wrong password!")).status_code for _ in range(11)]
        assert statuses == [401] * 10 + [429]
        limited = await d.login("admin")  # even the right password waits now
        assert limited.status_code == 429 and "Too many attempts" in limited.text
        assert (await d.login("viewer")).status_code == 303  # another name is not held up

    run(tmp_path, scenario)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (None, "/"),
        ("", "/"),
        ("/findings?state=all", "/findings?state=all"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("https://evil.example/", "/"),
        ("findings", "/"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    from loghealth.web.auth import safe_next

    assert safe_next(target) == expected
