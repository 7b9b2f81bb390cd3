"""Dashboard page `/rules`: shipped signatures and user rules in one list, switches, live tester.

Rows are the packs and rule files of the settings (`api.routes.rules.base_catalog`) with the
stored rules (`store.rules`) applied: a stored rule replaces or adds an entry, a stored switch
turns one off or on. Enable and disable (admins) and the tester (everyone, `POST /rules/test`,
htmx) run the API's own functions, so the page and `/api/v1/rules…` always agree.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from loghealth.api.deps import ApiContext, get_context
from loghealth.api.routes.rules import base_catalog, switch_rule
from loghealth.model import Severity
from loghealth.rules.loader import Catalog, Signature
from loghealth.rules.schema import ID_PATTERN, Tier
from loghealth.runtime.serve import apply_stored_rules
from loghealth.store.rules import GLOBAL_SCOPE, RuleStore, StoredRule
from loghealth.store.tokens import Role
from loghealth.web.auth import PageError, WebUser, require_user, safe_next
from loghealth.web.pages.rule_test import tester_values
from loghealth.web.render import NavItem, page_language, render

__all__ = ["NAV", "ORIGIN_KEYS", "PAGE_SIZE", "RuleQuery", "RuleRow", "page_error", "router"]

router = APIRouter(include_in_schema=False)
NAV = NavItem("/rules", "rules.nav", order=50)
Viewer = Annotated[WebUser, Depends(require_user())]
Admin = Annotated[WebUser, Depends(require_user(Role.ADMIN))]
PAGE_SIZE = 50
ORIGIN_KEYS: dict[str, str] = {
    "stored_rule": "rules.origin_stored_rule",
    "rule_file": "rules.origin_rule_file",
    "signature": "rules.origin_signature",
}
"""Where a row comes from (the API's `origin` words) -> locale key, in the list's order."""
_ERROR_KEYS = {404: "rules.error_not_found", 409: "rules.error_conflict"}
_DONE = frozenset({"enable", "disable", "deleted"})
_STATES = ("enabled", "disabled")
Text = Annotated[str, Query(max_length=200)]


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One entry of the list. `overrides`: the pack of the shipped entry a stored rule replaces."""

    id: str
    name: str
    pack: str
    origin: str
    severity: str
    category: str
    area: str
    is_enabled: bool
    scope: str | None
    overrides: str | None
    hits: int


@dataclass(frozen=True, slots=True)
class RuleQuery:
    """The list's filters as sent (unknown values mean "any"); `page` counts from 1."""

    q: str = ""
    origin: str = ""
    state: str = ""
    severity: str = ""
    page: int = 1

    def keeps(self, row: RuleRow) -> bool:
        """True when `row` passes every filter (`q`: id, name, pack, category or area)."""
        needle = self.q.strip().casefold()
        return (
            (not needle or any(needle in v.casefold() for v in
                               (row.id, row.name, row.pack, row.category, row.area)))
            and self.origin in ("", row.origin)
            and self.state in ("", "enabled" if row.is_enabled else "disabled")
            and self.severity in ("", row.severity)
        )  # fmt: skip

    def link(self, **changes: str | int) -> str:
        """`/rules?…` with these filters and `changes` (empty values and page 1 left out)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        kept = {k: v for k, v in values.items() if v not in ("", None) and (k, v) != ("page", 1)}
        return "/rules" + (f"?{urlencode(kept)}" if kept else "")


def _stored_row(rule: StoredRule, catalog: Catalog, lang: str, hits: dict[str, int],
                overrides: str | None) -> RuleRow:  # fmt: skip
    body = rule.body
    return RuleRow(
        rule.id, catalog.text(rule.id, lang).name, "rules", "stored_rule",
        str(body.get("severity", "")), str(body.get("category", "")), str(body.get("area", "")),
        rule.enabled, rule.scope, overrides, hits.get(rule.id, 0),
    )  # fmt: skip


def _base_row(signature: Signature, stored: StoredRule | None, catalog: Catalog, lang: str,
              hits: dict[str, int]) -> RuleRow:  # fmt: skip
    if stored is not None and stored.body:
        return _stored_row(stored, catalog, lang, hits, signature.pack)
    spec = signature.spec
    return RuleRow(
        signature.id, catalog.text(signature.id, lang).name, signature.pack,
        "rule_file" if signature.tier is Tier.RULE else "signature", spec.severity.label,
        str(spec.category), str(spec.area), stored.enabled if stored is not None else True,
        stored.scope if stored is not None else None, None, hits.get(signature.id, 0),
    )  # fmt: skip


def rule_rows(context: ApiContext, lang: str) -> tuple[list[RuleRow], list[str]]:
    """Every row (stored rules, then rule files, then signatures) and the rules' errors.

    Blocking (reads the packs and the store). Errors are the live engine's when `serve` runs
    (rules left out because they do not validate or compile), else the stored rules' problems.
    """
    base = base_catalog(context)
    store = RuleStore(context.store.engine)
    stored = {rule.id: rule for rule in store.list()}
    hits = store.hits_by_signature()
    scopes = {GLOBAL_SCOPE} | {rule.scope for rule in stored.values()}
    catalog = apply_stored_rules(base, list(stored.values()), scopes)
    rows = [_base_row(s, stored.get(s.id), catalog, lang, hits) for s in base.signatures]
    rows += [
        _stored_row(rule, catalog, lang, hits, None)
        for rule in stored.values() if rule.body and base.get(rule.id) is None
    ]  # fmt: skip
    order = list(ORIGIN_KEYS)
    rows.sort(key=lambda row: (order.index(row.origin), row.pack, row.id))
    pipeline = context.pipeline
    errors = catalog.errors
    if pipeline is not None:
        errors = list(pipeline.engine.catalog.errors) + list(pipeline.engine.errors)
    return rows, errors


def page_error(error: HTTPException) -> PageError:
    """The error page of an API error raised by the shared rule functions."""
    return PageError(error.status_code, _ERROR_KEYS.get(error.status_code, "rules.error_reload"))


def _notice(request: Request) -> dict[str, str] | None:
    params = request.query_params
    if params.get("done") not in _DONE:
        return None
    return {"key": f"rules.notice_{params['done']}", "rule": params.get("rule", "")[:80]}


@router.get("/rules", response_class=HTMLResponse)
async def rules_page(
    request: Request, _: Viewer, q: Text = "", origin: Text = "", state: Text = "",
    severity: Text = "", page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:  # fmt: skip
    """One page of the list, filtered (unknown filter values mean "any"); errors; the tester."""
    severities = [s.label for s in sorted(Severity, reverse=True)]
    query = RuleQuery(
        q, origin if origin in ORIGIN_KEYS else "", state if state in _STATES else "",
        severity if severity in severities else "", page,
    )  # fmt: skip
    context = get_context(request)
    try:
        rows, errors = await asyncio.to_thread(rule_rows, context, page_language(request))
    except HTTPException as error:
        raise page_error(error) from None
    shown = [row for row in rows if query.keeps(row)]
    offset = (page - 1) * PAGE_SIZE
    counts: dict[str, Any] = {
        "total": len(rows), "stored": sum(r.origin == "stored_rule" for r in rows),
        "disabled": sum(not r.is_enabled for r in rows),
    }  # fmt: skip
    return render(
        request, "rules.html", query=query, rows=shown[offset : offset + PAGE_SIZE],
        total=len(shown), offset=offset, page_size=PAGE_SIZE, counts=counts, errors=errors,
        origin_keys=ORIGIN_KEYS, severities=severities,
        notice=_notice(request), **tester_values(),
    )  # fmt: skip


def _back_with(back: str, done: str, rule_id: str) -> str:
    path, _, query = safe_next(back).partition("?")
    kept = [(k, v) for k, v in parse_qsl(query) if k not in ("done", "rule")]
    return f"{path}?{urlencode([*kept, ('done', done), ('rule', rule_id)])}"


async def _switch(request: Request, rule_id: str, enabled: bool, back: str) -> RedirectResponse:
    try:
        await switch_rule(get_context(request), request, rule_id, enabled)
    except HTTPException as error:
        raise page_error(error) from None
    done = "enable" if enabled else "disable"
    return RedirectResponse(_back_with(back, done, rule_id), status_code=303)


Back = Annotated[str, Form(max_length=2048)]
RuleIdPath = Annotated[str, Path(pattern=ID_PATTERN, max_length=80)]


@router.post("/rules/{rule_id}/enable")
async def enable_rule(
    request: Request, _: Admin, rule_id: RuleIdPath, back: Back = "/rules"
) -> RedirectResponse:
    """Enable a stored rule or a disabled signature (the engine reloads under `serve`)."""
    return await _switch(request, rule_id, True, back)


@router.post("/rules/{rule_id}/disable")
async def disable_rule(
    request: Request, _: Admin, rule_id: RuleIdPath, back: Back = "/rules"
) -> RedirectResponse:
    """Disable a stored rule or a shipped signature (the engine reloads under `serve`)."""
    return await _switch(request, rule_id, False, back)
