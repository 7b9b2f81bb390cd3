"""Dashboard: who is looking — server-side sessions in an HTTP-only cookie, roles and CSRF checks.

Why server-side sessions (`store.sessions`) and not a signed cookie (Starlette's
`SessionMiddleware`): logging out, disabling a user (`loghealth users disable`) and revoking a
token (`loghealth tokens revoke`) end the session at once, instead of when a signed cookie
expires; and no signing secret has to be generated, kept and rotated. The cookie is a random
256-bit secret (`HttpOnly`, `SameSite=Lax`, `Secure` over https); the table keeps its sha256.

CSRF: every state-changing request (any method but GET/HEAD/OPTIONS) of a logged-in page must
carry the session's synchronizer token, as the `csrf_token` form field or the `X-CSRF-Token`
header (htmx sends it), and a cross-origin `Origin` is refused: 403 otherwise. The login form
itself uses a double-submit cookie, since there is no session yet.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fastapi import Request, Response

from loghealth.api.deps import get_context
from loghealth.api.limits import RequestRateLimiter
from loghealth.store.sessions import UiSessionStore
from loghealth.store.tokens import Role
from loghealth.store.users import UserStore

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE_SECS",
    "DashboardState",
    "LoginRequiredError",
    "PageError",
    "WebUser",
    "check_csrf",
    "current_user",
    "dashboard_state",
    "require_user",
    "safe_next",
    "set_cookie",
]

SESSION_COOKIE = "loghealth_session"
LOGIN_CSRF_COOKIE = "loghealth_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE_SECS = 12 * 3600
"""A session ends this long after login, however active (log in again)."""

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_SECRET_CHARS = 128


@dataclass(frozen=True, slots=True)
class WebUser:
    """The logged-in user (`kind` user) or API token (`kind` token) of a request."""

    name: str
    role: Role
    kind: str
    csrf_token: str

    @property
    def actor(self) -> str:
        """How finding history names this person (`user:<name>` or `token:<name>`)."""
        return f"{self.kind}:{self.name}"

    def can(self, role: Role) -> bool:
        """True when this user's role covers `role` (viewer < admin < superadmin)."""
        return self.role.covers(role)


@dataclass(slots=True)
class DashboardState:
    """What the dashboard keeps per app: stores and the login rate limits.

    Login attempts: 10 at once per client address and name, then one per 5 s
    (`login_limiter`); 50 at once per address whatever the name, then one per second
    (`address_limiter`).
    """

    users: UserStore
    sessions: UiSessionStore
    login_limiter: RequestRateLimiter = field(default_factory=lambda: RequestRateLimiter(0.2, 10))
    address_limiter: RequestRateLimiter = field(default_factory=lambda: RequestRateLimiter(1.0, 50))


class LoginRequiredError(Exception):
    """No (valid) session: pages redirect to `/login`, htmx requests get `HX-Redirect`."""


class PageError(Exception):
    """An error page: HTTP `status` and the locale key of the message shown."""

    def __init__(self, status: int, message_key: str) -> None:
        super().__init__(message_key)
        self.status = status
        self.message_key = message_key


def dashboard_state(request: Request) -> DashboardState:
    """The `DashboardState` of the app serving this request."""
    state: DashboardState = request.app.state.dashboard
    return state


async def current_user(request: Request) -> WebUser | None:
    """The user of the request's session cookie, or None (resolved once per request)."""
    if hasattr(request.state, "web_user"):
        cached: WebUser | None = request.state.web_user
        return cached
    user = None
    secret = request.cookies.get(SESSION_COOKIE, "")
    if 0 < len(secret) <= _MAX_SECRET_CHARS:
        now = get_context(request).clock.now()
        found = await asyncio.to_thread(dashboard_state(request).sessions.resolve, secret, now)
        if found is not None:
            user = WebUser(found.name, found.role, found.kind, found.csrf_token)
    request.state.web_user = user
    return user


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not sent by every client; the token check below still applies
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def check_csrf(request: Request, expected: str) -> None:
    """Require `expected` in the `X-CSRF-Token` header or the `csrf_token` form field.

    Raises:
        PageError: 403 when the token is missing or wrong, or the `Origin` is another site.
    """
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not _same_origin(request) or not sent or not hmac.compare_digest(sent, expected):
        raise PageError(403, "error.csrf")


def require_user(role: Role = Role.VIEWER) -> Callable[[Request], Awaitable[WebUser]]:
    """A dependency admitting logged-in users of `role` or stronger.

    Requests that change state (not GET/HEAD/OPTIONS) must also pass `check_csrf`.

    Raises:
        LoginRequiredError: no valid session.
        PageError: 403 for a too weak role or a failed CSRF check.
    """

    async def dependency(request: Request) -> WebUser:
        user = await current_user(request)
        if user is None:
            raise LoginRequiredError
        if not user.can(role):
            raise PageError(403, "error.forbidden")
        if request.method not in _SAFE_METHODS:
            await check_csrf(request, user.csrf_token)
        return user

    return dependency


def new_login_csrf() -> str:
    """A fresh double-submit token for the login form (256 random bits)."""
    return secrets.token_urlsafe(32)


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age_secs: int | None
) -> None:
    """Set an HTTP-only, SameSite=Lax cookie on `/` (`Secure` when served over https)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age_secs,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def safe_next(value: str | None) -> str:
    """A local path to go to after login (`/` unless `value` is a path on this site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return "/"  # browsers drop tabs and newlines: "/\t/evil.example" would become "//evil…"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value
