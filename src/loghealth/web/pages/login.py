"""Dashboard pages: `/login` (a user's password or an API token), `/logout`, the language switch.

A login starts a server-side session (`store.sessions`) and sets its HTTP-only cookie; the old
session of the browser, if any, ends (no session fixation). Failed attempts are answered alike
for unknown names and wrong passwords, and rate-limited per client address.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loghealth.api.deps import get_context
from loghealth.store.tokens import TOKEN_PREFIX
from loghealth.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_MAX_AGE_SECS,
    WebUser,
    current_user,
    dashboard_state,
    new_login_csrf,
    require_user,
    safe_next,
    set_cookie,
)
from loghealth.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from loghealth.web.render import render

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = None
LANGUAGE_COOKIE_MAX_AGE_SECS = 365 * 86_400
_MAX_FIELD_CHARS = 256


def _login_page(
    request: Request, next_path: str, *, error: str | None = None, status_code: int = 200,
    name: str = "", method: str = "password",
) -> HTMLResponse:  # fmt: skip
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(
        request, "login.html", status_code, login_csrf=token, next_path=next_path,
        error=error, name=name, method=method,
    )  # fmt: skip
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, None)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request, next_path: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    """The login page (a logged-in visitor goes straight to `next`)."""
    if await current_user(request) is not None:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return _login_page(request, safe_next(next_path))


async def _authenticate(
    request: Request, method: str, name: str, secret: str
) -> tuple[int | None, int | None]:
    """(user id, token id) of valid credentials; (None, None) otherwise."""
    context, state = get_context(request), dashboard_state(request)
    now = context.clock.now()
    if method == "token":
        if not secret.startswith(TOKEN_PREFIX):
            return None, None
        token = await asyncio.to_thread(context.tokens.resolve, secret, now)
        return (None, token.id) if token is not None else (None, None)
    user = await asyncio.to_thread(state.users.authenticate, name, secret, now)
    return (user.id, None) if user is not None else (None, None)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=_MAX_FIELD_CHARS)] = "",
    method: Annotated[str, Form(max_length=16)] = "password",
    name: Annotated[str, Form(max_length=_MAX_FIELD_CHARS)] = "",
    password: Annotated[str, Form(max_length=_MAX_FIELD_CHARS)] = "",
    token: Annotated[str, Form(max_length=_MAX_FIELD_CHARS)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2048)] = "/",
) -> Response:
    """Check a password or a token; on success start a session and go to `next`."""
    next_path = safe_next(next_path)
    method = "token" if method == "token" else "password"
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token, expected):
        return _login_page(request, next_path, error="login.expired", status_code=403)
    if not _may_try(request, "" if method == "token" else name.strip()):
        return _login_page(request, next_path, error="login.too_many", status_code=429)
    secret = token.strip() if method == "token" else password
    user_id, token_id = await _authenticate(request, method, name.strip(), secret)
    if user_id is None and token_id is None:
        return _login_page(
            request, next_path, error="login.failed", status_code=401, name=name, method=method
        )
    return await _start_session(request, next_path, user_id, token_id)


def _may_try(request: Request, name: str) -> bool:
    """Spend one login attempt of this client address (and name); False when over the limit."""
    state = dashboard_state(request)
    client = request.client.host if request.client is not None else "unknown"
    if state.address_limiter.take(client) > 0:
        return False
    return state.login_limiter.take(f"{client}\x00{name}") <= 0


async def _start_session(
    request: Request, next_path: str, user_id: int | None, token_id: int | None
) -> Response:
    sessions = dashboard_state(request).sessions
    now = get_context(request).clock.now()
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await asyncio.to_thread(sessions.delete, old)
    secret = await asyncio.to_thread(
        sessions.create, now, SESSION_MAX_AGE_SECS, user_id=user_id, token_id=token_id
    )
    response = RedirectResponse(next_path, status_code=303)
    set_cookie(response, request, SESSION_COOKIE, secret, SESSION_MAX_AGE_SECS)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(
    request: Request, _: Annotated[WebUser, Depends(require_user())]
) -> RedirectResponse:
    """End the session (CSRF-checked) and go to the login page."""
    secret = request.cookies.get(SESSION_COOKIE, "")
    await asyncio.to_thread(dashboard_state(request).sessions.delete, secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/ui/lang")
async def switch_language(
    request: Request,
    lang: Annotated[str, Query(max_length=8)] = "en",
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> RedirectResponse:
    """Remember the chosen language in a cookie (unknown codes: English) and go back."""
    response = RedirectResponse(safe_next(next_path), status_code=303)
    chosen = lang if lang in LANGUAGES else "en"
    set_cookie(response, request, LANGUAGE_COOKIE, chosen, LANGUAGE_COOKIE_MAX_AGE_SECS)
    return response
