"""API: what routes depend on — the shared context (store, pipeline, clock) and authentication.

Credentials are `Authorization: Bearer <secret>`: an API token (`lht_…`, role viewer, admin or
superadmin) or a client ingest key (`lhk_…`, may only push logs and heartbeats for its client).
No or an unknown credential: 401; a too weak role or another client's key: 403; over the rate
limit: 429 with `Retry-After`. Resolved credentials are cached for `AUTH_CACHE_SECS`, so a
revoked token stops working within that time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from loghealth.api.ingest import EntryWriter
from loghealth.api.limits import RequestRateLimiter
from loghealth.clock import Clock
from loghealth.rules.loader import Catalog
from loghealth.runtime.bus import EventBus
from loghealth.runtime.pipeline import Pipeline
from loghealth.settings import Settings
from loghealth.store.clients import ClientStore
from loghealth.store.queries import FindingReader
from loghealth.store.remediation import PauseSwitch, RemediationStore
from loghealth.store.repository import Store
from loghealth.store.tokens import CLIENT_KEY_PREFIX, TOKEN_PREFIX, Role, TokenStore

__all__ = [
    "AUTH_CACHE_SECS",
    "ApiContext",
    "ClientId",
    "ContextDep",
    "Principal",
    "Responses",
    "RowId",
    "SourceControl",
    "get_context",
    "require",
    "require_client",
    "utc",
]

Responses = dict[int | str, dict[str, Any]]
"""The type of FastAPI's `responses=` (extra documented responses)."""

AUTH_CACHE_SECS = 5.0
"""How long a resolved credential is trusted without asking the store again."""

ClientId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$", description="client id")
]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647, description="numeric id")]
"""A stored row id (positive, fits a 32-bit integer column)."""
_bearer = HTTPBearer(auto_error=False, description="an API token (lht_…) or client key (lhk_…)")


class SourceControl(Protocol):
    """What `serve` lets the API do with its sources (None when the API runs without serve)."""

    def add_path(self, path: str) -> list[str]:
        """Follow a file, directory or glob now; return the ids of the sources started."""
        ...

    def remove(self, source_id: str) -> bool:
        """Stop following a source; False when no such source runs."""
        ...


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a token (with its role) or a client key (with its client id)."""

    name: str
    role: Role | None = None
    client_id: str | None = None

    @property
    def actor(self) -> str:
        """How finding history names this caller (`token:<name>` or `client:<id>`)."""
        return f"client:{self.client_id}" if self.client_id else f"token:{self.name}"


@dataclass(slots=True)
class ApiContext:
    """Everything routes share. `pipeline` is None when the API runs without `serve`.

    `stopping` is set when the server shuts down: live streams (SSE) end, so an open stream
    never holds the server up. `remediation_pause` is the pipeline's (so a pause reaches the
    runner at once) or, without a pipeline, one of its own over the store.
    """

    settings: Settings
    clock: Clock
    store: Store
    pipeline: Pipeline | None = None
    sources: SourceControl | None = None
    catalog_factory: Callable[[], Catalog] | None = None
    bus: EventBus = field(default_factory=EventBus)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    findings: FindingReader = field(init=False)
    clients: ClientStore = field(init=False)
    tokens: TokenStore = field(init=False)
    limiter: RequestRateLimiter = field(init=False)
    writer: EntryWriter = field(init=False)
    remediation_pause: PauseSwitch = field(init=False)
    _auth_cache: dict[str, tuple[Principal | None, float]] = field(default_factory=dict)
    _catalog: Catalog | None = None

    def __post_init__(self) -> None:
        engine = self.store.engine
        self.findings = FindingReader(engine)
        self.clients = ClientStore(engine)
        self.tokens = TokenStore(engine)
        api = self.settings.api
        self.limiter = RequestRateLimiter(api.requests_per_sec, api.burst)
        self.writer = EntryWriter(
            self.clients, self.clock, self.settings.clients.log_retention_secs
        )
        if self.pipeline is not None:
            self.bus = self.pipeline.bus
            self.remediation_pause = self.pipeline.remediation_pause  # the runner's, shared
        else:
            self.remediation_pause = PauseSwitch(RemediationStore(engine))

    @property
    def catalog(self) -> Catalog:
        """The live engine's catalog (or one loaded once when there is no pipeline)."""
        if self.pipeline is not None:
            return self.pipeline.engine.catalog
        if self._catalog is None:
            from loghealth.rules.loader import load_catalog

            factory = self.catalog_factory or (lambda: load_catalog(self.settings.packs))
            self._catalog = factory()
        return self._catalog

    async def principal(self, secret: str) -> Principal | None:
        """Resolve a bearer secret (cached for `AUTH_CACHE_SECS`); None if it is not valid."""
        cached = self._auth_cache.get(secret)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        principal: Principal | None = None
        if secret.startswith(TOKEN_PREFIX):
            token = await asyncio.to_thread(self.tokens.resolve, secret, self.clock.now())
            if token is not None:
                principal = Principal(token.name, role=token.role)
        elif secret.startswith(CLIENT_KEY_PREFIX):
            client_id = await asyncio.to_thread(self.tokens.client_for_key, secret)
            if client_id is not None:
                principal = Principal(client_id, client_id=client_id)
        if len(self._auth_cache) > 10_000:
            self._auth_cache.clear()
        self._auth_cache[secret] = (principal, time.monotonic() + AUTH_CACHE_SECS)
        return principal

    def forget_credentials(self) -> None:
        """Drop cached credentials (after a token is revoked or a client key rotated)."""
        self._auth_cache.clear()

    async def aclose(self) -> None:
        """Flush pending client entries and stop background work."""
        await self.writer.aclose()


def utc(value: datetime | None, name: str = "time") -> datetime | None:
    """`value` as aware UTC (naive means UTC).

    Raises:
        HTTPException: 422 when the time cannot be expressed in UTC (out of range).
    """
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise HTTPException(422, f"{name}: {value.isoformat()} is out of range") from None


def get_context(request: Request) -> ApiContext:
    """The `ApiContext` of the app serving this request."""
    context: ApiContext = request.app.state.context
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _authenticate(
    context: ApiContext, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            401, "missing credentials: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    principal = await context.principal(credentials.credentials)
    if principal is None:
        raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    wait = context.limiter.take(principal.actor)
    if wait > 0:
        raise HTTPException(
            429,
            f"rate limit of {context.limiter.rate_per_sec:g} requests/s exceeded",
            headers={"Retry-After": context.limiter.retry_after(wait)},
        )
    return principal


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting API tokens of `role` or stronger (client keys get 403)."""

    async def dependency(context: ContextDep, credentials: Credentials) -> Principal:
        principal = await _authenticate(context, credentials)
        if principal.role is None or not principal.role.covers(role):
            raise HTTPException(403, f"this needs the {role} role or higher")
        return principal

    return dependency


def require_client(role: Role = Role.ADMIN) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting the path's client by its ingest key, or a token of `role`+."""

    async def dependency(
        client_id: ClientId, context: ContextDep, credentials: Credentials
    ) -> Principal:
        principal = await _authenticate(context, credentials)
        if principal.client_id is not None:
            if principal.client_id != client_id:
                raise HTTPException(403, "this ingest key belongs to another client")
            return principal
        if principal.role is None or not principal.role.covers(role):
            raise HTTPException(403, f"this needs the client's ingest key or the {role} role")
        return principal

    return dependency
