"""Schemathesis against the served OpenAPI document: no 5xx, responses match the schema.

The app runs in this process (uvicorn on a loopback port in a thread, beside a real pipeline,
SQLite store). Left out: the SSE stream (never ends), token revocation (would revoke the
token the test uses), adding watched paths (would follow random files of this machine) and
trigger test sends (would resolve and contact the random hosts of fuzzed triggers).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine

from loghealth.api import create_app
from loghealth.api.server import api_service
from loghealth.clock import SystemClock
from loghealth.runtime.pipeline import Pipeline
from loghealth.runtime.serve import run_serve
from loghealth.settings import Settings
from loghealth.store.clients import ClientInfo, ClientStore
from loghealth.store.repository import Store
from loghealth.store.tokens import Role, TokenStore
from tests.api.conftest import make_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    tmp_path: Path = tmp_path_factory.mktemp("schemathesis")
    app_settings = make_settings(
        f"sqlite:///{tmp_path / 'lh.db'}", tmp_path,
        api={"requests_per_sec": 1_000_000, "burst": 1_000_000},
    )  # fmt: skip
    started = threading.Event()
    state: dict[str, object] = {}

    def serve() -> None:
        async def main() -> None:
            stop = asyncio.Event()
            state["stop"] = stop
            state["loop"] = asyncio.get_running_loop()

            def ready(pipeline: Pipeline) -> None:
                now = SystemClock().now()
                state["token"] = TokenStore(pipeline.store.engine).create(
                    "schemathesis", Role.SUPERADMIN, now
                )[1]
                ClientStore(pipeline.store.engine).upsert(ClientInfo("c1"), now)

            def bound(host: str, port: int) -> None:
                state["url"] = f"http://{host}:{port}"
                started.set()

            service = api_service(app_settings, SystemClock(), bound)
            await run_serve(app_settings, SystemClock(), stop, on_ready=ready, services=[service])

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(20), "the API did not start"
    yield str(state["url"]), str(state["token"])
    loop = state["loop"]
    assert isinstance(loop, asyncio.AbstractEventLoop)
    stop = state["stop"]
    assert isinstance(stop, asyncio.Event)
    loop.call_soon_threadsafe(stop.set)
    thread.join(20)


def _schema() -> schemathesis.BaseSchema:
    """The app's OpenAPI document (built over an empty in-memory store: no I/O)."""
    app = create_app(Settings(sources=[]), store=Store(create_engine("sqlite://")))
    return schemathesis.openapi.from_dict(app.openapi())


SCHEMA = _schema()
SKIPPED = {("GET", "/api/v1/events"), ("DELETE", "/api/v1/tokens/{token_id}"),
           ("POST", "/api/v1/sources"), ("POST", "/api/v1/triggers/{trigger_id}/test")}  # fmt: skip
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in SCHEMA.raw_schema["paths"].items()
    for method in item
    if (method.upper(), path) not in SKIPPED
)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_openapi_conformance(method: str, path: str, live_api: tuple[str, str]) -> None:
    url, token = live_api
    operation = SCHEMA[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=10
        )

    check()
