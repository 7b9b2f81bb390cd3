"""Dashboard pages `/clients` and `/clients/{id}`: the fleet overview and one client's log view.

The fleet comes from `api.routes.clients.fleet_overview` (the status rule of `api.fleet`: online
or offline, healthy / warning / critical, counts per level in the status window, latest error,
open findings). Log contents follow the API's access rule (client-monitoring spec): reading a
client's entries, and its latest error, needs the admin role; viewers see statuses and counts.
Admins may also issue a new ingest key (shown once, in the answer to the POST, never in a URL)
and delete a client, through the same functions as the API's `POST /api/v1/clients/{id}/key`
and `DELETE /api/v1/clients/{id}`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from loghealth.api.deps import get_context
from loghealth.api.fleet import parse_level
from loghealth.api.routes.clients import (
    SOURCE_PREFIX,
    delete_fleet_client,
    fleet_overview,
    new_ingest_key,
)
from loghealth.store.clients import ClientLevel
from loghealth.store.tokens import Role
from loghealth.web.auth import PageError, WebUser, require_user
from loghealth.web.render import NavItem, render

__all__ = [
    "LEVEL_KEYS",
    "NAV",
    "PAGE_SIZE",
    "SINCE_CHOICES",
    "STATUS_CHOICES",
    "LogQuery",
    "router",
]

router = APIRouter(include_in_schema=False)
NAV = NavItem("/clients", "clients.nav", order=40)
Viewer = Annotated[WebUser, Depends(require_user())]
Admin = Annotated[WebUser, Depends(require_user(Role.ADMIN))]
PAGE_SIZE = 50
"""Log entries per page of a client's log view."""
STATUS_CHOICES = ("all", "critical", "warning", "healthy", "offline")
"""The fleet filter's values (`all`, or one client status)."""
SINCE_CHOICES: dict[str, int] = {"all": 0, "1h": 3_600, "24h": 86_400, "7d": 7 * 86_400}
"""The log view's time filters: form value -> seconds back from now (0: no limit)."""
LEVEL_KEYS: dict[str, str] = {
    "ERROR": "clients.level_error",
    "WARN": "clients.level_warn",
    "INFO": "clients.level_info",
    "DEBUG": "clients.level_debug",
}
"""Locale keys of the four entry levels of the fleet spec."""
_CLIENT_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
ClientPath = Annotated[str, Path(pattern=_CLIENT_ID)]
Choice = Annotated[str, Query(max_length=16)]


@dataclass(frozen=True, slots=True)
class LogQuery:
    """A client's log view filters: `level` (a fleet level or empty), `since`, `page` (from 1)."""

    client_id: str
    level: str = ""
    since: str = "all"
    page: int = 1

    @classmethod
    def of(cls, client_id: str, level: str, since: str, page: int) -> LogQuery:
        """The filters as sent, unknown values meaning "any level" / "any time"."""
        try:
            wanted = str(parse_level(level, aliases=False)) if level else ""
        except ValueError:
            wanted = ""
        return cls(client_id, wanted, since if since in SINCE_CHOICES else "all", page)

    def link(self, **changes: str | int) -> str:
        """This view's URL with `changes` applied (defaults left out)."""
        values: dict[str, str | int] = {"level": self.level, "since": self.since, "page": self.page}
        values.update(changes)
        defaults: dict[str, str | int] = {"level": "", "since": "all", "page": 1}
        kept = {k: v for k, v in values.items() if v != defaults[k]}
        return f"/clients/{self.client_id}" + (f"?{urlencode(kept)}" if kept else "")


@router.get("/clients", response_class=HTMLResponse)
async def clients_page(request: Request, _: Viewer, status: Choice = "all") -> HTMLResponse:
    """Every client with its status, counts in the window and open findings (`?status=` filters)."""
    status = status if status in STATUS_CHOICES else "all"
    context = get_context(request)
    overview = await fleet_overview(context)
    items = [i for i in overview.clients if status in ("all", i.client.status)]
    return render(
        request, "clients.html", overview=overview, items=items, status=status,
        statuses=STATUS_CHOICES, window_hours=overview.window_secs // 3600,
        level_keys=LEVEL_KEYS, source_prefix=SOURCE_PREFIX, deleted=_deleted_notice(request),
    )  # fmt: skip


def _deleted_notice(request: Request) -> str | None:
    """The id of the client just deleted (`?done=deleted&client=<id>`), or None."""
    params = request.query_params
    client_id = params.get("client", "")
    if params.get("done") != "deleted" or not re.fullmatch(_CLIENT_ID, client_id):
        return None
    return client_id


@router.get("/clients/{client_id}", response_class=HTMLResponse)
async def client_page(
    request: Request, user: Viewer, client_id: ClientPath, level: Choice = "",
    since: Choice = "all", page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:  # fmt: skip
    """One client: facts, status, counts, open findings and (admins) its entries, newest first."""
    return await _client_view(request, user, LogQuery.of(client_id, level, since, page))


async def _client_view(
    request: Request, user: WebUser, query: LogQuery, new_key: str | None = None
) -> HTMLResponse:
    """The client page of `query`; `new_key` is shown once (right after a rotation)."""
    context = get_context(request)
    overview = await fleet_overview(context)
    client_id = query.client_id
    item = next((i for i in overview.clients if i.client.id == client_id), None)
    if item is None:
        raise PageError(404, "clients.not_found")
    entries, has_more = [], False
    if user.can(Role.ADMIN):
        secs = SINCE_CHOICES[query.since]
        start = context.clock.now() - timedelta(seconds=secs) if secs else None
        found = await asyncio.to_thread(
            context.clients.entries, client_id,
            ClientLevel(query.level) if query.level else None, start,
            limit=PAGE_SIZE + 1, offset=(query.page - 1) * PAGE_SIZE,
        )  # fmt: skip
        entries, has_more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    return render(
        request, "client.html", item=item, client=item.client, query=query, entries=entries,
        has_more=has_more, since_choices=[(v, f"clients.since_{v}") for v in SINCE_CHOICES],
        level_keys=LEVEL_KEYS, new_key=new_key, here=query.link(),
        window_hours=overview.window_secs // 3600, source_prefix=SOURCE_PREFIX,
    )  # fmt: skip


@router.post("/clients/{client_id}/key", response_class=HTMLResponse)
async def rotate_key(request: Request, user: Admin, client_id: ClientPath) -> HTMLResponse:
    """Issue a new ingest key and show it once on the client page; the old key stops working.

    The key is in this response's body only (`Cache-Control: no-store`): never in a URL, a
    redirect or a log. An unknown client is the 404 page (the API would register it).
    """
    context = get_context(request)
    if await asyncio.to_thread(context.clients.get, client_id) is None:
        raise PageError(404, "clients.not_found")
    key = await new_ingest_key(context, client_id)
    return await _client_view(request, user, LogQuery(client_id), new_key=key)


@router.post("/clients/{client_id}/delete")
async def delete_client(request: Request, _: Admin, client_id: ClientPath) -> RedirectResponse:
    """Delete a client, its ingest key and its stored entries (its findings stay)."""
    if not await delete_fleet_client(get_context(request), client_id):
        raise PageError(404, "clients.not_found")
    return RedirectResponse(f"/clients?{urlencode({'done': 'deleted', 'client': client_id})}", 303)
