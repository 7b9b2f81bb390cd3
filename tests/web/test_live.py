"""The live feed: `/ui/events` sends rendered rows for bus events and ends when the server stops."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from loghealth.api.server import api_service
from loghealth.clock import SystemClock
from loghealth.engine.lifecycle import Action
from loghealth.runtime.pipeline import Pipeline
from loghealth.runtime.serve import run_serve
from loghealth.store.tokens import Role
from loghealth.store.users import UserStore
from loghealth.web.pages.live import sse_message
from tests.web.conftest import (
    FAST_HASHER,
    PASSWORD,
    Dashboard,
    csrf_of,
    run_dashboard,
    web_settings,
)


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
