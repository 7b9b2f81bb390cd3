"""API test harness: the real app over a real store (SQLite or PostgreSQL) and live pipeline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from loghealth.api import create_app
from loghealth.api.deps import ApiContext
from loghealth.runtime.pipeline import Pipeline
from loghealth.runtime.serve import build_pipeline
from loghealth.settings import Settings
from loghealth.store.clients import ClientInfo, ClientStore
from loghealth.store.tokens import Role, TokenStore
from tests.rules import BOOM_RULES

RULES = (
    BOOM_RULES
    + """  - id: wobble
    patterns: ['WOBBLE']
    severity: warning
    category: environment
    area: network
"""
)


@dataclass
class MovableClock:
    """A clock that starts at the real time and can be moved forward by tests."""

    offset: timedelta = timedelta(0)
    base: datetime = field(default_factory=lambda: datetime.fromtimestamp(time.time(), UTC))  # noqa: TID251

    def now(self) -> datetime:
        return self.base + self.offset

    def advance(self, secs: float) -> None:
        self.offset += timedelta(seconds=secs)


@dataclass
class Api:
    """One running API: HTTP client, app context, pipeline, tokens by role, client keys."""

    http: httpx.AsyncClient
    context: ApiContext
    pipeline: Pipeline | None
    clock: MovableClock
    tokens: dict[str, str]
    keys: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        secret = self.tokens.get(who) or self.keys.get(who) or who
        return {"Authorization": f"Bearer {secret}"}

    async def wait_for(
        self, predicate: Callable[[], Awaitable[bool]], timeout: float = 5.0
    ) -> None:
        deadline = time.monotonic() + timeout
        while not await predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)


Scenario = Callable[[Api], Awaitable[None]]


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    values: dict[str, Any] = {
        "sources": [],
        "database_url": database_url,
        "data_dir": tmp_path / "data",
        "packs": ["smarty"],
        "rules": [rules],
        "timezone": "UTC",
        "listen": "127.0.0.1:0",
    }
    values.update(overrides)
    return Settings(**values)


def seed_credentials(context: ApiContext, now: datetime) -> tuple[dict[str, str], dict[str, str]]:
    tokens = TokenStore(context.store.engine)
    secrets = {str(role): tokens.create(f"test-{role}", role, now)[1] for role in Role}
    revoked, revoked_secret = tokens.create("revoked", Role.SUPERADMIN, now)
    tokens.revoke(revoked.id, now)
    secrets["revoked"] = revoked_secret
    clients = ClientStore(context.store.engine)
    keys = {}
    for client_id, group in (("c1", "lobby"), ("c2", "lobby")):
        clients.upsert(ClientInfo(client_id, hostname=f"{client_id}.local", group=group), now)
        keys[f"key-{client_id}"] = clients.rotate_key(client_id, now)
    return secrets, keys


def run_api(settings: Settings, scenario: Scenario, with_pipeline: bool = True) -> None:
    """Run `scenario` against a fresh app (and live pipeline) through ASGI transport."""

    async def main() -> None:
        clock = MovableClock()
        pipeline = build_pipeline(settings, clock)
        stop = asyncio.Event()
        runner = asyncio.create_task(pipeline.run(stop)) if with_pipeline else None
        app = create_app(
            settings,
            store=pipeline.store,
            clock=clock,
            pipeline=pipeline if with_pipeline else None,
        )
        context: ApiContext = app.state.context
        tokens, keys = seed_credentials(context, clock.now())
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                await scenario(
                    Api(http, context, pipeline if with_pipeline else None, clock, tokens, keys)
                )
        finally:
            stop.set()
            if runner is not None:
                await runner
            await context.aclose()
            pipeline.store.engine.dispose()

    asyncio.run(main())


@pytest.fixture
def api_settings(database_url: str, tmp_path: Path) -> Iterator[Settings]:
    yield make_settings(database_url, tmp_path)
