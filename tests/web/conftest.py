"""Dashboard test harness: the real app (API + dashboard) over a real SQLite store, over ASGI.

`Dashboard` seeds findings, users and tokens, and logs in like a browser does (GET /login for the
form's CSRF token, POST /login, keep the session cookie). Browser tests live in
`test_browser.py` and use `serve_process` from `tests/web/live.py`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI

from loghealth.api import create_app
from loghealth.api.deps import ApiContext
from loghealth.model import Area, Category, Severity
from loghealth.runtime.serve import build_pipeline
from loghealth.settings import Settings
from loghealth.store.repository import Batch, FindingDelta, fingerprint
from loghealth.store.tokens import Role, TokenStore
from loghealth.store.users import UserStore
from tests.api.conftest import MovableClock

RULES = """
signatures:
  - id: flux-failed
    patterns: ['flux capacitor (?P<part>\\w+) failed']
    severity: critical
    category: bug
    area: process
    docs_url: https://example.org/docs/flux
    text:
      name: Flux capacitor failed
      cause: A part of the flux capacitor stopped working.
      fix: Replace the part named in the captures.
  - id: wobble
    patterns: ['WOBBLE']
    severity: warning
    category: environment
    area: network
"""

PASSWORD = "correct horse battery"  # noqa: S105 - a test fixture
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SMARTY_ID = "smarty-login-client-does-not-exist"


def web_settings(tmp_path: Path, **overrides: Any) -> Settings:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    values: dict[str, Any] = {
        "sources": [],
        "database_url": f"sqlite:///{tmp_path / 'loghealth.db'}",
        "data_dir": tmp_path / "data",
        "packs": ["smarty"],
        "rules": [rules],
        "timezone": "UTC",
        "listen": "127.0.0.1:0",
    }
    values.update(overrides)
    return Settings(**values)


def delta(
    signature_id: str, source_id: str, severity: Severity, category: Category, area: Area,
    sample: str, count: int = 1, pack: str = "rules",
) -> FindingDelta:  # fmt: skip
    return FindingDelta(
        signature_id=signature_id, pack=pack, severity=severity, category=category, area=area,
        source_id=source_id, count=count, sample=sample, sample_line=7,
        hits=[(None, 7, sample)] * min(count, 3),
    )  # fmt: skip


SEEDS = [
    delta("flux-failed", "file:/var/log/app.log", Severity.CRITICAL, Category.BUG, Area.PROCESS,
          "2026-03-14 08:02:11 ERROR core: flux capacitor coil failed", count=4),
    delta("wobble", "file:/var/log/net.log", Severity.WARNING, Category.ENVIRONMENT, Area.NETWORK,
          "WOBBLE detected on eth0", count=2),
    delta(SMARTY_ID, "file:/var/log/smarty/main.log", Severity.ERROR, Category.LAYER8, Area.AUTH,
          "client does not exist", pack="smarty"),
]  # fmt: skip


@dataclass
class Dashboard:
    """One app: an HTTP client (with its cookie jar), the context, clock, tokens and finding ids."""

    http: httpx.AsyncClient
    app: FastAPI
    context: ApiContext
    clock: MovableClock
    tokens: dict[str, str]
    ids: dict[str, int]

    async def login(self, name: str = "admin", password: str = PASSWORD) -> httpx.Response:
        form = await self.http.get("/login")
        token = csrf_of(form.text)
        return await self.http.post(
            "/login",
            data={"csrf_token": token, "method": "password", "name": name, "password": password},
        )

    async def login_token(self, secret: str) -> httpx.Response:
        token = csrf_of((await self.http.get("/login")).text)
        return await self.http.post(
            "/login", data={"csrf_token": token, "method": "token", "token": secret}
        )

    async def csrf(self, path: str = "/findings") -> str:
        """The session's CSRF token, as a page carries it."""
        return csrf_of((await self.http.get(path)).text)

    def api(self, who: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF field in the page"
    return found.group(1)


def seed(context: ApiContext, clock: MovableClock) -> tuple[dict[str, str], dict[str, int]]:
    """Findings (SEEDS, newest first, an hour apart), users admin/viewer/root, a token per role."""
    store = context.store
    for i, item in enumerate(SEEDS):
        store.commit(
            Batch(deltas={fingerprint(item.signature_id, item.source_id): item}),
            clock.now() - timedelta(hours=i),
        )
    users = UserStore(store.engine, FAST_HASHER)
    for name, role in (("admin", Role.ADMIN), ("viewer", Role.VIEWER), ("root", Role.SUPERADMIN)):
        users.create(name, PASSWORD, role, clock.now())
    tokens = TokenStore(store.engine)
    secrets = {str(role): tokens.create(f"t-{role}", role, clock.now())[1] for role in Role}
    ids = {s.finding.signature_id: s.id for s in store.findings()}
    return secrets, ids


Scenario = Callable[[Dashboard], Awaitable[None]]


def run_dashboard(settings: Settings, scenario: Scenario) -> None:
    """Run `scenario` against a fresh app whose engine (not running) carries the test rules."""

    async def main() -> None:
        clock = MovableClock()
        pipeline = build_pipeline(settings, clock)
        app = create_app(settings, store=pipeline.store, clock=clock, pipeline=pipeline)
        app.state.dashboard.users.hasher = FAST_HASHER  # logins need not cost 64 MiB each
        context: ApiContext = app.state.context
        tokens, ids = seed(context, clock)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                await scenario(Dashboard(http, app, context, clock, tokens, ids))
        finally:
            await context.aclose()
            pipeline.store.engine.dispose()

    asyncio.run(main())


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say where the browser tests left their screenshots."""
    shots = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
    if shots.is_dir() and any(shots.glob("*.png")):
        terminalreporter.write_line(f"dashboard screenshots: {shots}")
