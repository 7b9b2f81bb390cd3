"""Dashboard: a pipeline sink beside the API — server-rendered pages over the same store queries.

`install_dashboard(app)` adds the pages (`/`, `/findings`, `/findings/{id}`, `/login`…), the
live feed (`/ui/events`, SSE) and the static files (`/static`, vendored htmx and Chart.js, no
network needed) to an app built by `loghealth.api.create_app`. See `web/README.md`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from loghealth.api.deps import ApiContext
from loghealth.store.sessions import UiSessionStore
from loghealth.store.users import UserStore
from loghealth.web.auth import (
    DashboardState,
    LoginRequiredError,
    PageError,
    current_user,
    safe_next,
)
from loghealth.web.pages import PAGE_MODULES
from loghealth.web.render import NavItem, render

__all__ = ["install_dashboard"]


def _login_target(request: Request) -> str:
    """Where to go after login: the page itself, or for htmx the page it was sent from.

    An htmx request (a fragment, a poll of the overview's panels) names its page in
    `HX-Current-URL`; coming back to the fragment's own URL would show it without the page.
    """
    current = request.headers.get("hx-current-url") if request.headers.get("hx-request") else None
    if current:
        parts = urlsplit(current)
        if parts.netloc == request.headers.get("host", ""):
            return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


async def _login_required(request: Request, _error: Exception) -> Response:
    location = f"/login?next={quote(_login_target(request), safe='')}"
    if request.headers.get("hx-request") or request.url.path.startswith("/ui/"):
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


async def _page_error(request: Request, error: Exception) -> HTMLResponse:
    assert isinstance(error, PageError)  # noqa: S101 - registered for this type
    await current_user(request)  # the error page still shows who is logged in
    return render(
        request, "error.html", error.status, status=error.status, message=error.message_key
    )


def _page_request(request: Request) -> bool:
    """A request for a page (not the API, the live feed, metrics or health)."""
    path = request.url.path
    return not path.startswith(("/api/", "/ui/", "/metrics", "/healthz"))


def _invalid_page_request(
    api_handler: Callable[[Request, Any], Response | Awaitable[Response]],
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """Bad query values: an HTML error page for pages, the API's problem+json for the rest."""

    async def handle(request: Request, error: Exception) -> Response:
        if _page_request(request) and not request.headers.get("hx-request"):
            return await _page_error(request, PageError(400, "error.bad_request"))
        response = api_handler(request, error)
        return await response if inspect.isawaitable(response) else response

    return handle


def install_dashboard(app: FastAPI) -> None:
    """Add the dashboard to `app` (its `app.state.context` must be an `ApiContext`).

    Sets `app.state.dashboard` (a `DashboardState`) and `app.state.dashboard_nav` (header items).
    """
    context: ApiContext = app.state.context
    engine = context.store.engine
    state = DashboardState(UserStore(engine), UiSessionStore(engine))
    app.state.dashboard = state
    nav: list[NavItem] = [m.NAV for m in PAGE_MODULES if getattr(m, "NAV", None) is not None]
    app.state.dashboard_nav = sorted(nav, key=lambda item: item.order)
    app.add_exception_handler(LoginRequiredError, _login_required)
    app.add_exception_handler(PageError, _page_error)
    api_handler = app.exception_handlers[RequestValidationError]
    app.add_exception_handler(RequestValidationError, _invalid_page_request(api_handler))
    app.mount("/static", StaticFiles(packages=[("loghealth.web", "static")]), name="static")
    for module in PAGE_MODULES:
        app.include_router(module.router)
