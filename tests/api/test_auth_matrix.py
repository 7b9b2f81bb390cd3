"""Every route × every kind of credential: 401 without a valid one, 403 when too weak, else in.

The table below must name every route of the app (checked), so a new route cannot skip auth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loghealth.api import create_app
from loghealth.api.deps import ApiContext
from loghealth.clock import SystemClock
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.repository import Store
from tests.api.conftest import make_settings, seed_credentials

PUBLIC, VIEWER, ADMIN, SUPERADMIN, CLIENT = "public", "viewer", "admin", "superadmin", "client"
ENTRY = {"entries": [{"level": "INFO", "message": "hello"}]}
RULE = {"id": "m-rule", "patterns": ["x"], "severity": "error", "category": "bug", "area": "http"}
TRIGGER = {"name": "m", "notifier": {"type": "webhook", "url": "http://127.0.0.1:9/hook"}}

# (method, route path as declared, concrete path, needed, body)
ROUTES: list[tuple[str, str, str, str, Any]] = [
    ("GET", "/healthz", "/healthz", PUBLIC, None),
    ("GET", "/metrics", "/metrics", VIEWER, None),
    ("GET", "/api/v1/findings", "/api/v1/findings", VIEWER, None),
    ("GET", "/api/v1/findings/recent", "/api/v1/findings/recent", VIEWER, None),
    ("GET", "/api/v1/findings/critical", "/api/v1/findings/critical", VIEWER, None),
    ("GET", "/api/v1/findings/{finding_id}", "/api/v1/findings/1", VIEWER, None),
    ("POST", "/api/v1/findings/{finding_id}/resolve", "/api/v1/findings/1/resolve", ADMIN, None),
    ("POST", "/api/v1/findings/{finding_id}/reopen", "/api/v1/findings/1/reopen", ADMIN, None),
    ("POST", "/api/v1/findings/{finding_id}/ignore", "/api/v1/findings/1/ignore", ADMIN, None),
    ("POST", "/api/v1/findings/{finding_id}/snooze", "/api/v1/findings/1/snooze", ADMIN,
     {"until": "2999-01-01T00:00:00Z"}),
    ("GET", "/api/v1/health", "/api/v1/health", VIEWER, None),
    ("GET", "/api/v1/statistics", "/api/v1/statistics", VIEWER, None),
    ("GET", "/api/v1/sources", "/api/v1/sources", VIEWER, None),
    ("POST", "/api/v1/sources", "/api/v1/sources", ADMIN, {"path": "/nonexistent/x.log"}),
    ("DELETE", "/api/v1/sources/{source_id}", "/api/v1/sources/file:/x.log", ADMIN, None),
    ("POST", "/api/v1/clients/{client_id}/logs", "/api/v1/clients/c1/logs", CLIENT, ENTRY),
    ("POST", "/api/v1/clients/{client_id}/heartbeat", "/api/v1/clients/c1/heartbeat", CLIENT,
     {"process_status": "running"}),
    ("GET", "/api/v1/clients", "/api/v1/clients", SUPERADMIN, None),
    ("GET", "/api/v1/clients/summary", "/api/v1/clients/summary", ADMIN, None),
    ("GET", "/api/v1/clients/recent-errors", "/api/v1/clients/recent-errors", ADMIN, None),
    ("GET", "/api/v1/clients/ingest-status", "/api/v1/clients/ingest-status", VIEWER, None),
    ("GET", "/api/v1/clients/{client_id}", "/api/v1/clients/c1", ADMIN, None),
    ("PUT", "/api/v1/clients/{client_id}", "/api/v1/clients/c3", ADMIN, {"hostname": "h"}),
    ("DELETE", "/api/v1/clients/{client_id}", "/api/v1/clients/gone", ADMIN, None),
    ("POST", "/api/v1/clients/{client_id}/key", "/api/v1/clients/c9/key", ADMIN, None),
    ("GET", "/api/v1/clients/{client_id}/logs", "/api/v1/clients/c1/logs", ADMIN, None),
    ("GET", "/api/v1/events", "/api/v1/events?limit=1&timeout_secs=0.05", VIEWER, None),
    ("GET", "/api/v1/tokens", "/api/v1/tokens", SUPERADMIN, None),
    ("POST", "/api/v1/tokens", "/api/v1/tokens", SUPERADMIN, {"name": "x", "role": "viewer"}),
    ("DELETE", "/api/v1/tokens/{token_id}", "/api/v1/tokens/9999", SUPERADMIN, None),
    ("GET", "/api/v1/catalog", "/api/v1/catalog", VIEWER, None),
    ("GET", "/api/v1/catalog/{signature_id}", "/api/v1/catalog/boom", VIEWER, None),
    ("GET", "/api/v1/rules", "/api/v1/rules", VIEWER, None),
    ("POST", "/api/v1/rules", "/api/v1/rules", ADMIN, RULE),
    ("GET", "/api/v1/rules/effective", "/api/v1/rules/effective?source=client:c1", VIEWER, None),
    ("GET", "/api/v1/rules/stats", "/api/v1/rules/stats", VIEWER, None),
    ("POST", "/api/v1/rules/test", "/api/v1/rules/test", VIEWER, {"lines": ["BOOM 1"]}),
    ("GET", "/api/v1/rules/{rule_id}", "/api/v1/rules/m-rule", VIEWER, None),
    ("PATCH", "/api/v1/rules/{rule_id}", "/api/v1/rules/m-rule", ADMIN, {"severity": "info"}),
    ("DELETE", "/api/v1/rules/{rule_id}", "/api/v1/rules/gone", ADMIN, None),
    ("POST", "/api/v1/rules/{rule_id}/disable", "/api/v1/rules/wobble/disable", ADMIN, None),
    ("POST", "/api/v1/rules/{rule_id}/enable", "/api/v1/rules/wobble/enable", ADMIN, None),
    ("POST", "/api/v1/scan", "/api/v1/scan", VIEWER, "2024-05-01 10:00:00,000 ERROR a: BOOM 1"),
    ("GET", "/api/v1/triggers", "/api/v1/triggers", VIEWER, None),
    ("POST", "/api/v1/triggers", "/api/v1/triggers", ADMIN, TRIGGER),
    ("GET", "/api/v1/triggers/{trigger_id}", "/api/v1/triggers/9999", VIEWER, None),
    ("PATCH", "/api/v1/triggers/{trigger_id}", "/api/v1/triggers/9999", ADMIN, {"name": "n"}),
    ("DELETE", "/api/v1/triggers/{trigger_id}", "/api/v1/triggers/9999", ADMIN, None),
    ("POST", "/api/v1/triggers/{trigger_id}/test", "/api/v1/triggers/9999/test", ADMIN, None),
    ("GET", "/api/v1/triggers/{trigger_id}/deliveries", "/api/v1/triggers/9999/deliveries",
     VIEWER, None),
    ("GET", "/api/v1/deliveries", "/api/v1/deliveries?status=failed", VIEWER, None),
    ("GET", "/api/v1/actions", "/api/v1/actions", ADMIN, None),
    ("GET", "/api/v1/actions/pause", "/api/v1/actions/pause", ADMIN, None),
    ("PUT", "/api/v1/actions/pause", "/api/v1/actions/pause", ADMIN, {"is_paused": False}),
    ("GET", "/api/v1/actions/runs", "/api/v1/actions/runs?status=failed", VIEWER, None),
    ("GET", "/api/v1/actions/runs/{run_id}", "/api/v1/actions/runs/1", VIEWER, None),
    ("POST", "/api/v1/actions/{name}/run", "/api/v1/actions/nope/run?finding_id=1", ADMIN, None),
]  # fmt: skip

# credential -> the routes' `needed` values it satisfies
CREDENTIALS: dict[str, set[str]] = {
    "none": {PUBLIC},
    "garbage": {PUBLIC},
    "revoked": {PUBLIC},
    "viewer": {PUBLIC, VIEWER},
    "admin": {PUBLIC, VIEWER, ADMIN, CLIENT},
    "superadmin": {PUBLIC, VIEWER, ADMIN, SUPERADMIN, CLIENT},
    "key-c1": {PUBLIC, CLIENT},
    "key-c2": {PUBLIC},  # another client's key
}
UNAUTHENTICATED = {"none", "garbage", "revoked"}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    tmp_path = tmp_path_factory.mktemp("matrix")
    url = f"sqlite:///{tmp_path / 'matrix.db'}"
    engine = create_store_engine(url)
    migrate(engine)
    settings = make_settings(url, tmp_path)
    app = create_app(settings, store=Store(engine))
    tokens, keys = seed_credentials(app.state.context, SystemClock().now())
    engine.dispose()
    yield tmp_path, {**tokens, **keys}


def test_the_table_names_every_route(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'x.db'}", tmp_path))
    declared = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert declared == {(method, path) for method, path, _, _, _ in ROUTES}


@pytest.mark.parametrize("credential", sorted(CREDENTIALS))
@pytest.mark.parametrize(
    ("method", "path", "needed", "body"),
    [pytest.param(m, p, n, b, id=f"{m} {r}") for m, r, p, n, b in ROUTES],
)
def test_auth(
    seeded: tuple[Path, dict[str, str]],
    credential: str,
    method: str,
    path: str,
    needed: str,
    body: Any,
) -> None:
    tmp_path, secrets = seeded
    settings = make_settings(f"sqlite:///{tmp_path / 'matrix.db'}", tmp_path)
    headers = {}
    if credential == "garbage":
        headers["Authorization"] = "Bearer lht_not-a-real-token"
    elif credential != "none":
        headers["Authorization"] = f"Bearer {secrets[credential]}"

    async def call() -> httpx.Response:
        app = create_app(settings)
        context: ApiContext = app.state.context
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                return await http.request(method, path, headers=headers, json=body)
        finally:
            await context.aclose()
            context.store.engine.dispose()

    response = asyncio.run(call())
    if needed in CREDENTIALS[credential]:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500 or "sources" in path, response.text
    elif credential in UNAUTHENTICATED:
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
