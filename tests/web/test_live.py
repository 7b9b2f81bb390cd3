"""The live overview: `/ui/events` sends rendered rows for bus events and ends when the server
stops; `/ui/overview/panels` renders the overview's panels again from the store."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx

from loghealth.api.server import api_service
from loghealth.clock import SystemClock
from loghealth.engine.lifecycle import Action
from loghealth.model import Area, Category, Severity
from loghealth.runtime.pipeline import Pipeline
from loghealth.runtime.serve import run_serve
from loghealth.store.repository import Batch, fingerprint
from loghealth.store.tokens import Role
from loghealth.store.users import UserStore
from loghealth.web.pages.live import sse_message
from tests.web.conftest import (
    FAST_HASHER,
    PASSWORD,
    Dashboard,
    csrf_of,
    delta,
    run_dashboard,
    web_settings,
)

PANELS = "/ui/overview/panels"
OOB_IDS = (
    "health-card", "severity-live", "category-card", "timeline-live", "critical-card",
    "sources-card",
)  # fmt: skip


def _json(html: str, element_id: str) -> dict[str, object]:
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html)
    assert found is not None, element_id
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_sse_message_splits_lines() -> None:
    assert sse_message("finding", "<tr>\n<td>x</td>\n</tr>") == (
        "event: finding\ndata: <tr>\ndata: <td>x</td>\ndata: </tr>\n\n"
    )
    assert sse_message("finding", "") == "event: finding\ndata: \n\n"


def test_feed_streams_rows_and_stops_with_the_server(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("viewer")
        bus = d.context.bus
        request = asyncio.create_task(
            d.http.get("/ui/events", headers={"Accept-Language": "ru"}, timeout=10)
        )
        for _ in range(200):
            if bus._queues:
                break
            await asyncio.sleep(0.01)
        assert bus._queues, "the stream did not subscribe to the bus"
        flux = d.ids["flux-failed"]
        event = d.context.store.act(flux, Action.RESOLVE, "user:admin", d.clock.now())
        bus.publish([event])
        await asyncio.sleep(0.05)
        d.app.state.context.stopping.set()  # as `serve_app` does on shutdown
        response = await asyncio.wait_for(request, 5)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.text
        assert body.startswith("retry: 3000\n: connected\n\n")
        assert "event: finding\ndata: <tr" in body
        assert f'data-finding-id="{flux}"' in body and "Flux capacitor failed" in body
        assert "Решена" in body  # the viewer's language
        assert not bus._queues  # unsubscribed at the end

    run_dashboard(web_settings(tmp_path), scenario)


def test_serve_stops_while_a_dashboard_feed_is_open(tmp_path: Path) -> None:
    """A browser tab with the live feed must not keep `loghealth serve` from stopping."""
    settings = web_settings(tmp_path)
    log = tmp_path / "app.log"
    log.write_text("")

    async def main() -> None:
        stop = asyncio.Event()
        ready: list[Pipeline] = []
        bound: asyncio.Future[tuple[str, int]] = asyncio.get_running_loop().create_future()
        service = api_service(settings, SystemClock(), lambda h, p: bound.set_result((h, p)))
        task = asyncio.create_task(
            run_serve(settings, SystemClock(), stop, on_ready=ready.append, services=[service])
        )
        host, port = await asyncio.wait_for(bound, 10)
        users = UserStore(ready[0].store.engine, FAST_HASHER)
        users.create("admin", PASSWORD, Role.ADMIN, SystemClock().now())
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=10) as http:
            token = csrf_of((await http.get("/login")).text)
            login = await http.post(
                "/login", data={"csrf_token": token, "name": "admin", "password": PASSWORD}
            )
            assert login.status_code == 303
            async with http.stream("GET", "/ui/events") as stream:
                lines = stream.aiter_lines()
                assert await anext(lines) == "retry: 3000"
                stop.set()
                rest = [line async for line in lines]  # ends: the server closed the stream
                assert ": connected" in rest
            await asyncio.wait_for(task, 10)

    asyncio.run(main())


def test_overview_panels_need_a_session(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        anonymous = await d.http.get(PANELS)
        assert anonymous.status_code == 401
        assert anonymous.headers["HX-Redirect"] == "/login?next=%2Fui%2Foverview%2Fpanels"
        # an htmx poll comes back to the page it was sent from, not to the fragment
        polled = await d.http.get(PANELS, headers={
            "HX-Request": "true", "HX-Current-URL": "http://testserver/?range=7d",
        })  # fmt: skip
        assert polled.headers["HX-Redirect"] == "/login?next=%2F%3Frange%3D7d"
        foreign = await d.http.get(PANELS, headers={
            "HX-Request": "true", "HX-Current-URL": "http://evil.example/x",
        })  # fmt: skip
        assert foreign.headers["HX-Redirect"] == "/login?next=%2Fui%2Foverview%2Fpanels"
        d.http.cookies.set("loghealth_session", "x" * 43)
        assert (await d.http.get(PANELS)).status_code == 401

    run_dashboard(web_settings(tmp_path), scenario)


def test_overview_panels_render_the_store_and_follow_its_commits(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("viewer")
        first = await d.http.get(PANELS)
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in first.headers["content-security-policy"]
        html = first.text
        for element_id in OOB_IDS:  # every panel, each swapped in by its id
            assert re.search(rf'id="{element_id}"[^>]*hx-swap-oob="true"', html), element_id
        assert html.count('hx-swap-oob="true"') == len(OOB_IDS)
        assert "feed-body" not in html and "<canvas" not in html  # the feed and charts stay
        assert "<html" not in html  # a fragment, not a page
        assert 'data-testid="health-score">61<' in html
        assert "Open findings: 3" in html
        assert _json(html, "severity-data")["data"] == [1, 1, 1, 0]
        assert html.count("<tr data-finding-id=") == 2  # the critical and the error finding
        assert "Flux capacitor failed" in html
        assert _json(html, "timeline-data")["total"] == 3
        assert 'id="timeline-range" name="range" value="24h"' in html

        # the panels of the page and of the fragment are the same markup
        page = (await d.http.get("/")).text
        assert _json(page, "severity-data") == _json(html, "severity-data")
        assert 'data-testid="active-count">Open findings: 3<' in page
        assert 'id="overview-panels"' in page and 'hx-get="/ui/overview/panels"' in page

        zap = delta("zap", "file:/var/log/app.log", Severity.ERROR, Category.SECURITY, Area.TLS,
                    "ZAP 1")  # fmt: skip
        d.context.store.commit(
            Batch(deltas={fingerprint(zap.signature_id, zap.source_id): zap}), d.clock.now()
        )
        after = (await d.http.get(PANELS)).text
        assert "Open findings: 4" in after
        assert _json(after, "severity-data")["data"] == [1, 2, 1, 0]
        assert after.count("<tr data-finding-id=") == 3
        assert "/findings?category=security" in after and "/findings?area=tls" in after
        assert _json(after, "timeline-data")["total"] == 4
        assert "2 open" in after  # file:/var/log/app.log: flux and zap

        week = await d.http.get(PANELS + "?range=7d", headers={"Accept-Language": "ru"})
        assert len(_json(week.text, "timeline-data")["labels"]) == 28  # type: ignore[arg-type]
        assert 'name="range" value="7d"' in week.text and "Открытых находок: 4" in week.text
        odd = await d.http.get(PANELS + "?range=1y")
        assert odd.status_code == 200 and 'name="range" value="24h"' in odd.text

    run_dashboard(web_settings(tmp_path), scenario)
