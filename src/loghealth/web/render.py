"""Dashboard: HTML rendering — the Jinja2 environment, per-request formatting and safe headers.

Templates live in `web/templates` (package data). Every page gets `t` (translations), `fmt`
(times, numbers, source names in the page's language), `user`, `csrf_token`, `nav`, `lang`,
`languages` and `static()`; responses carry a strict Content-Security-Policy (scripts only
from this site, so no inline script runs) and are never cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from loghealth import __version__
from loghealth.api.deps import get_context
from loghealth.store.tokens import Role
from loghealth.web.auth import WebUser
from loghealth.web.i18n import LANGUAGE_COOKIE, LANGUAGES, Translator, negotiate

__all__ = [
    "SECURITY_HEADERS",
    "Formats",
    "NavItem",
    "page_language",
    "render",
    "render_fragment",
]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Headers of every dashboard page and fragment."""


@dataclass(frozen=True, slots=True)
class NavItem:
    """A top-level page in the header: path, locale key of its label, who sees it, position."""

    path: str
    label_key: str
    role: Role = Role.VIEWER
    order: int = 100

    def is_current(self, path: str) -> bool:
        """True when `path` is this page or below it (`/findings/3` is under `/findings`)."""
        if self.path == "/":
            return path == "/"
        return path == self.path or path.startswith(self.path + "/")


_environment = Environment(
    loader=PackageLoader("loghealth.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class Formats:
    """Times, numbers and names as a page shows them, in its language (`now`: aware UTC)."""

    def __init__(self, t: Translator, now: datetime) -> None:
        self.t = t
        self.now = now

    def when(self, value: datetime | None) -> str:
        """`2026-03-14 08:02:11 UTC`, or an em dash for None."""
        return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "—"

    def clock(self, value: datetime | None) -> str:
        """`08:02:11` (UTC), for live rows."""
        return value.strftime("%H:%M:%S") if value is not None else "—"

    def iso(self, value: datetime | None) -> str:
        """ISO 8601 for `<time datetime>`, empty for None."""
        return value.isoformat() if value is not None else ""

    def ago(self, value: datetime | None) -> str:
        """How long ago, compact (`5 min ago` / `5 мин назад`); `in the future` is `just now`."""
        if value is None:
            return "—"
        secs = int((self.now - value).total_seconds())
        for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
            if secs >= size:
                return self.t(f"time.ago_{unit}", n=secs // size)
        return self.t("time.just_now")

    def num(self, value: int | float) -> str:
        """Thousands grouped: `12,345` in English, `12 345` in Russian."""
        text = f"{value:,}"
        return text.replace(",", "\u202f") if self.t.lang == "ru" else text

    @staticmethod
    def source(source_id: str) -> str:
        """A source id without its `file:` prefix (client and other ids unchanged)."""
        return source_id.removeprefix("file:")

    @staticmethod
    def short_source(source_id: str) -> str:
        """A file source as its last two path parts (`…/nginx/error.log`), for narrow cells."""
        path = source_id.removeprefix("file:")
        parts = path.split("/")
        return (
            "…/" + "/".join(parts[-2:])
            if source_id.startswith("file:") and len(parts) > 3
            else path
        )


def page_language(request: Request) -> str:
    """The request's language: the switcher's cookie, else `Accept-Language`, else English."""
    return negotiate(request.headers.get("accept-language"), request.cookies.get(LANGUAGE_COOKIE))


def _nav(request: Request, user: WebUser | None) -> list[NavItem]:
    items: list[NavItem] = request.app.state.dashboard_nav
    return [item for item in items if user is not None and user.can(item.role)]


def _static(path: str) -> str:
    return f"/static/{path}?v={__version__}"


def _values(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    t = Translator(page_language(request))
    user: WebUser | None = getattr(request.state, "web_user", None)
    path = request.url.path
    return {
        "request": request,
        "t": t,
        "lang": t.lang,
        "languages": LANGUAGES,
        "fmt": Formats(t, get_context(request).clock.now()),
        "user": user,
        "is_admin": user is not None and user.can(Role.ADMIN),
        "csrf_token": user.csrf_token if user is not None else "",
        "nav": _nav(request, user),
        "path": path,
        "here": path + (f"?{request.url.query}" if request.url.query else ""),
        "static": _static,
        "version": __version__,
        **values,
    }


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """Render a page template with the common values (see the module docstring) and headers."""
    html = _environment.get_template(template).render(_values(request, values))
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def render_fragment(request: Request, template: str, **values: Any) -> str:
    """Render a partial template (for SSE messages and htmx swaps) to a string."""
    return _environment.get_template(template).render(_values(request, values))
