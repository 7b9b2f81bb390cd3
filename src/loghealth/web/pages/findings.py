"""Dashboard page `/findings`: a filterable, searchable, paged table, and the finding actions.

Filters are query parameters (`state`, `severity`, `category`, `area`, `source`, `q`, `page`),
so a filtered view is a link. Actions (resolve, reopen, ignore, snooze; admins only, CSRF
checked) go through `Store.act` and are published on the event bus, as the API does.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from loghealth.api.deps import ApiContext, get_context
from loghealth.api.routes.findings import finding_out
from loghealth.engine.lifecycle import Action
from loghealth.model import Area, Category, FindingState, Severity
from loghealth.store.queries import FindingFilter
from loghealth.store.repository import FindingEvent
from loghealth.store.tokens import Role
from loghealth.web.auth import PageError, WebUser, require_user, safe_next
from loghealth.web.render import NavItem, page_language, render

__all__ = [
    "NAV",
    "PAGE_SIZE",
    "SNOOZE_CHOICES",
    "FindingQuery",
    "action_notice",
    "actions_for",
    "router",
]

router = APIRouter(include_in_schema=False)
NAV = NavItem("/findings", "nav.findings", order=20)
Viewer = Annotated[WebUser, Depends(require_user())]
Admin = Annotated[WebUser, Depends(require_user(Role.ADMIN))]
PAGE_SIZE = 25
SNOOZE_CHOICES: dict[str, int] = {"1h": 3_600, "4h": 4 * 3_600, "24h": 86_400, "7d": 7 * 86_400}
"""Snooze durations offered by the dashboard, in seconds, by form value."""
STATE_CHOICES = ("active", "all", *(str(s) for s in FindingState))
_ACTIVE = (FindingState.OPEN, FindingState.REGRESSED)
_MAX_BULK = 500
Text = Annotated[str, Query(max_length=200)]


@dataclass(frozen=True, slots=True)
class FindingQuery:
    """The list's filters as sent (unknown values mean "any"); `page` counts from 1."""

    state: str = "active"
    severity: str = ""
    category: str = ""
    area: str = ""
    source: str = ""
    q: str = ""
    page: int = 1

    def spec(self) -> FindingFilter:
        """The store filter of these parameters."""
        states: tuple[FindingState, ...] = ()
        if self.state == "active":
            states = _ACTIVE
        elif self.state in FindingState.__members__.values():
            states = (FindingState(self.state),)
        severity = [Severity[self.severity.upper()]] if self.severity in _SEVERITY_NAMES else []
        return FindingFilter(
            states=states,
            severities=severity,
            categories=[self.category] if self.category in Category.__members__.values() else [],
            areas=[self.area] if self.area in Area.__members__.values() else [],
            source=self.source or None,
            text=self.q.strip() or None,
        )

    def link(self, **changes: str | int) -> str:
        """`/findings?…` with these filters, `changes` applied, empty values left out."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        kept = {k: v for k, v in values.items() if v not in ("", None) and (k, v) != ("page", 1)}
        return "/findings" + (f"?{urlencode(kept)}" if kept else "")


_SEVERITY_NAMES = {s.label for s in Severity}


def actions_for(state: str) -> list[str]:
    """The actions offered for a finding in `state`, the most likely first (`on_action` rules)."""
    return [str(action) for action in _OFFERED[FindingState(state)]]


_OFFERED: dict[FindingState, tuple[Action, ...]] = {
    FindingState.OPEN: (Action.RESOLVE, Action.SNOOZE, Action.IGNORE),
    FindingState.REGRESSED: (Action.RESOLVE, Action.SNOOZE, Action.IGNORE),
    FindingState.RESOLVED: (Action.REOPEN, Action.IGNORE),
    FindingState.IGNORED: (Action.REOPEN, Action.RESOLVE),
    FindingState.SNOOZED: (Action.REOPEN, Action.RESOLVE, Action.IGNORE),
}


@router.get("/findings", response_class=HTMLResponse)
async def findings_page(
    request: Request, _: Viewer, state: Text = "active", severity: Text = "",
    category: Text = "", area: Text = "", source: Annotated[str, Query(max_length=512)] = "",
    q: Text = "", page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:  # fmt: skip
    """One page of findings matching the filters, newest hit first."""
    query = FindingQuery(state, severity, category, area, source, q, page)
    context = get_context(request)
    lang = page_language(request)
    spec = query.spec()
    offset = (page - 1) * PAGE_SIZE
    items, total = await asyncio.to_thread(context.findings.page, spec, PAGE_SIZE, offset)
    sources = await asyncio.to_thread(context.store.sources)
    return render(
        request, "findings.html", query=query, total=total, offset=offset, page_size=PAGE_SIZE,
        findings=[finding_out(s, context.catalog, lang) for s in items],
        sources=sorted({row.id for row in sources} | ({source} if source else set())),
        states=STATE_CHOICES, severities=[s.label for s in sorted(Severity, reverse=True)],
        categories=[str(c) for c in Category], areas=[str(a) for a in Area],
        snooze_choices=list(SNOOZE_CHOICES), actions_for=actions_for,
        notice=action_notice(request),
    )  # fmt: skip


def action_notice(request: Request) -> dict[str, str] | None:
    """The outcome of the last action (`done`, `n`, `skipped` parameters), or None."""
    params = request.query_params
    if params.get("done") not in {str(a) for a in Action}:
        return None
    return {
        "action": params["done"],
        "n": params.get("n", "0"),
        "skipped": params.get("skipped", "0"),
    }


def _apply(
    context: ApiContext, user: WebUser, ids: list[int], action: Action, snooze_secs: int
) -> tuple[list[FindingEvent], int]:
    """Apply `action` to each finding; return the events and how many were skipped."""
    now = context.clock.now()
    until = now + timedelta(seconds=snooze_secs) if action is Action.SNOOZE else None
    events, skipped = [], 0
    for finding_id in ids:
        try:
            events.append(context.store.act(finding_id, action, user.actor, now, until))
        except (KeyError, ValueError):
            skipped += 1
    return events, skipped


async def _act(
    request: Request, user: WebUser, ids: list[int], action_name: str, snooze_for: str, back: str
) -> RedirectResponse:
    try:
        action = Action(action_name)
    except ValueError:
        raise PageError(400, "error.bad_action") from None
    if not ids or len(ids) > _MAX_BULK:
        raise PageError(400, "error.no_selection")
    context = get_context(request)
    snooze_secs = SNOOZE_CHOICES.get(snooze_for, SNOOZE_CHOICES["1h"])
    events, skipped = await asyncio.to_thread(_apply, context, user, ids, action, snooze_secs)
    context.bus.publish(events)
    notice = {"done": str(action), "n": str(len(events)), "skipped": str(skipped)}
    return RedirectResponse(_with_notice(safe_next(back), notice), status_code=303)


def _with_notice(target: str, notice: dict[str, str]) -> str:
    """`target` with its previous notice parameters replaced by `notice`."""
    path, _, query = target.partition("?")
    kept = [(k, v) for k, v in parse_qsl(query) if k not in notice]
    return f"{path}?{urlencode([*kept, *notice.items()])}"


@router.post("/findings/actions")
async def bulk_action(
    request: Request,
    user: Admin,
    action: Annotated[str, Form(max_length=16)],
    ids: Annotated[list[int] | None, Form()] = None,
    snooze_for: Annotated[str, Form(max_length=8)] = "1h",
    back: Annotated[str, Form(max_length=2048)] = "/findings",
) -> RedirectResponse:
    """Apply one action to the selected findings (those it does not apply to are skipped)."""
    return await _act(request, user, ids or [], action, snooze_for, back)


@router.post("/findings/{finding_id}/{action}")
async def single_action(
    request: Request,
    user: Admin,
    finding_id: int,
    action: str,
    snooze_for: Annotated[str, Form(max_length=8)] = "1h",
    back: Annotated[str, Form(max_length=2048)] = "/findings",
) -> RedirectResponse:
    """Apply one action to one finding."""
    return await _act(request, user, [finding_id], action, snooze_for, back)
