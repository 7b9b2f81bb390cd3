"""`serve` with the API on a live loopback port: sources added over HTTP, SSE events, metrics."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from loghealth.api.server import api_service
from loghealth.clock import SystemClock
from loghealth.runtime.pipeline import Pipeline
from loghealth.runtime.serve import run_serve
from loghealth.settings import Settings
from loghealth.store.tokens import Role, TokenStore
from tests.api.conftest import make_settings


def test_live_api_beside_the_pipeline(database_url: str, tmp_path: Path) -> None:
    settings: Settings = make_settings(database_url, tmp_path)
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
        try:
            host, port = await asyncio.wait_for(bound, 10)
            assert host == "127.0.0.1"
            secret = TokenStore(ready[0].store.engine).create("t", Role.ADMIN, SystemClock().now())[
                1
            ]
            headers = {"Authorization": f"Bearer {secret}"}
            async with httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=10) as http:
                assert (await http.get("/healthz")).json() == {
                    "status": "ok", "is_pipeline_running": True,
                }  # fmt: skip
                assert (await http.get("/api/docs")).status_code == 200
                spec = (await http.get("/api/openapi.json")).json()
                assert "/api/v1/clients/{client_id}/logs" in spec["paths"]

                added = await http.post("/api/v1/sources", json={"path": str(log)}, headers=headers)
                assert added.status_code == 201, added.text
                assert added.json() == {"source_ids": [f"file:{log}"]}
                relative = await http.post(
                    "/api/v1/sources", json={"path": "x.log"}, headers=headers
                )
                assert relative.status_code == 400

                async with http.stream(
                    "GET", "/api/v1/events?limit=1&timeout_secs=10", headers=headers
                ) as stream:
                    lines = stream.aiter_lines()
                    assert await anext(lines) == ": connected"
                    with log.open("a") as out:
                        out.write("2024-05-01 10:00:00,000 ERROR app: BOOM 1\n")
                    received = [line async for line in lines]
                assert received[1] == "event: opened"
                data = json.loads(received[3].removeprefix("data: "))
                assert data["finding"]["signature_id"] == "boom"
                assert data["finding"]["source_id"] == f"file:{log}"

                async def counted() -> bool:
                    text = (await http.get("/metrics", headers=headers)).text
                    return f'loghealth_records_read_total{{source="file:{log}"}} 1.0' in text

                for _ in range(200):
                    if await counted():
                        break
                    await asyncio.sleep(0.05)
                metrics = await http.get("/metrics", headers=headers)
                assert metrics.headers["content-type"].startswith("text/plain")
                assert 'loghealth_findings{severity="error",state="open"} 1.0' in metrics.text
                assert f'loghealth_source_health_score{{source="file:{log}"}} 88.0' in metrics.text
                assert "loghealth_source_lag_seconds" in metrics.text

                sources = (await http.get("/api/v1/sources", headers=headers)).json()
                mine = next(s for s in sources if s["id"] == f"file:{log}")
                assert mine["is_running"] and mine["records_read"] == 1
                assert mine["active_findings"] == 1 and mine["health"]["score"] == 88
                removed = await http.delete(f"/api/v1/sources/file:{log}", headers=headers)
                assert removed.status_code == 204
                again = await http.delete(f"/api/v1/sources/file:{log}", headers=headers)
                assert again.status_code == 404
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)

    asyncio.run(main())


def test_an_open_event_stream_does_not_hold_up_shutdown(tmp_path: Path) -> None:
    settings: Settings = make_settings(f"sqlite:///{tmp_path / 'loghealth.db'}", tmp_path)

    async def main() -> None:
        stop = asyncio.Event()
        ready: list[Pipeline] = []
        bound: asyncio.Future[tuple[str, int]] = asyncio.get_running_loop().create_future()
        service = api_service(settings, SystemClock(), lambda h, p: bound.set_result((h, p)))
        task = asyncio.create_task(
            run_serve(settings, SystemClock(), stop, on_ready=ready.append, services=[service])
        )
        host, port = await asyncio.wait_for(bound, 10)
        secret = TokenStore(ready[0].store.engine).create("t", Role.VIEWER, SystemClock().now())[1]
        headers = {"Authorization": f"Bearer {secret}"}
        async with (
            httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=10) as http,
            http.stream("GET", "/api/v1/events", headers=headers) as stream,
        ):
            lines = stream.aiter_lines()
            assert await anext(lines) == ": connected"
            stop.set()  # Ctrl-C while a client still listens (no limit, no timeout)
            await asyncio.wait_for(task, 10)  # before the fix: waited for the client to leave
            assert [line async for line in lines] == [""]  # ended: no keepalive, no event

    asyncio.run(main())
