"""API: `create_app` — the FastAPI application over a store and (under `serve`) the pipeline.

Routes live under `/api/v1`; OpenAPI at `/api/openapi.json`, docs at `/api/docs`; `/healthz`
and `/metrics` at the root. Every error is `application/problem+json` (RFC 9457), and the
OpenAPI document says so for every 4xx/5xx response.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from loghealth import __version__
from loghealth.api.deps import ApiContext, SourceControl
from loghealth.api.limits import BodyLimitMiddleware
from loghealth.api.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from loghealth.api.routes import actions as action_routes
from loghealth.api.routes import catalog, clients, events, findings, rules, scan, service, tokens
from loghealth.api.routes import sources as source_routes
from loghealth.api.routes import triggers as trigger_routes
from loghealth.api.schemas import Problem
from loghealth.clock import Clock, SystemClock
from loghealth.runtime.pipeline import Pipeline
from loghealth.settings import Settings
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.repository import Store

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no or an unknown token"},
    403: {"model": Problem, "description": "the token's role is too weak"},
    413: {"model": Problem, "description": "request body too large"},
    422: {"model": Problem, "description": "invalid request"},
    429: {"model": Problem, "description": "rate limit exceeded (see Retry-After)"},
}
_CODES_WITH_PROBLEM = ("400", "404", "409", "503")


def _problem_openapi(app: FastAPI) -> dict[str, Any]:
    """OpenAPI with every error response documented as `application/problem+json`."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = FastAPI.openapi(app)
    reference = {"$ref": "#/components/schemas/Problem"}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for code, response in operation.get("responses", {}).items():
                if not code.startswith(("4", "5")):
                    continue
                if code in _CODES_WITH_PROBLEM or "content" in response:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": reference}}
    app.openapi_schema = schema
    return schema


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    pipeline: Pipeline | None = None,
    sources: SourceControl | None = None,
) -> FastAPI:
    """Build the API app. Without `store`, one is opened (and migrated) from `settings`.

    With `pipeline` (under `serve`), pushed client logs are matched by its engine and events
    come from its bus; without it, the API serves stored data and keeps pushed entries.
    `app.state.context` holds the `ApiContext`; call `await context.aclose()` when done (the
    app's lifespan does it when served).
    """
    if store is None:
        if settings.database_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_store_engine(settings.effective_database_url())
        migrate(engine)
        store = pipeline.store if pipeline is not None else Store(engine)
    context = ApiContext(settings, clock or SystemClock(), store, pipeline, sources)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await context.aclose()

    app = FastAPI(
        title="loghealth",
        version=__version__,
        summary="Findings, health, sources and fleet clients of a loghealth server.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.context = context
    app.state.rules_lock = asyncio.Lock()  # rule changes rebuild and swap the engine one by one
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api.max_body_bytes)
    app.include_router(service.router)
    for module in (findings, source_routes, clients, events, tokens, catalog, rules, scan):
        app.include_router(module.router, prefix=API_PREFIX, responses=_ERRORS)
    app.include_router(action_routes.router, prefix=API_PREFIX, responses=_ERRORS)
    app.include_router(trigger_routes.router, prefix=API_PREFIX, responses=_ERRORS)
    from loghealth.web import install_dashboard  # here: loghealth.web imports the API's modules

    install_dashboard(app)  # the dashboard at / (pages, live feed, static files)
    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]
    return app
