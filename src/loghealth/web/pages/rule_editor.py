"""Dashboard page `/rules/edit`: the editor of a user rule (create, update, delete) with its tester.

`?id=` opens a stored rule, or a shipped signature / rule-file rule pre-filled so that saving
stores a rule replacing it (as `POST /api/v1/rules` with its id would); no id starts a new rule.
Saving validates exactly as the API does (`web.rule_form.check_rule`), then runs the rule's
examples through the rule tester (`check_examples`: every `match` line hit by this rule, no
`no_match` line), and shows each problem next to its field; a stored change reloads the engine.
Viewers see the rule read-only and can test it; saving and deleting need the admin role (the
server refuses otherwise).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from loghealth.api.deps import ApiContext, get_context
from loghealth.api.routes.rules import base_catalog, reload_rules, rule_body
from loghealth.model import Area, Category, Level, Severity
from loghealth.rules.schema import ID_PATTERN
from loghealth.store.rules import GLOBAL_SCOPE, RuleExistsError, RuleStore, StoredRule
from loghealth.store.tokens import Role
from loghealth.web.auth import PageError, WebUser, require_user
from loghealth.web.pages.rule_test import tester_values
from loghealth.web.pages.rules import page_error
from loghealth.web.render import render
from loghealth.web.rule_form import (
    Problem,
    RuleForm,
    check_examples,
    check_rule,
    problems_by_field,
)

__all__ = ["NAV", "Editing", "router"]

router = APIRouter(include_in_schema=False)
NAV = None
Viewer = Annotated[WebUser, Depends(require_user())]
Admin = Annotated[WebUser, Depends(require_user(Role.ADMIN))]
RuleIdPath = Annotated[str, Path(pattern=ID_PATTERN, max_length=80)]


@dataclass(slots=True)
class Editing:
    """What the editor shows: the form, `create` or `update`, and what the rule relates to.

    `overrides` is the pack of the shipped signature (or `rules`, a rule file's rule) that the
    rule replaces; `is_stored` is True when a stored rule with a body exists (it can be deleted).
    """

    form: RuleForm
    mode: str = "create"
    overrides: str | None = None
    is_stored: bool = False
    problems: list[Problem] = field(default_factory=list)


def _load(context: ApiContext, rule_id: str) -> Editing | None:
    """The rule to edit: stored, else the shipped entry pre-filled, else None (blocking)."""
    if not rule_id:
        return Editing(RuleForm())
    if re.fullmatch(ID_PATTERN, rule_id) is None:
        return None
    stored = RuleStore(context.store.engine).get(rule_id)
    shipped = base_catalog(context).get(rule_id)
    pack = shipped.pack if shipped is not None else None
    if stored is not None and stored.body:
        form = RuleForm.from_body(rule_id, stored.body, stored.scope, stored.enabled)
        return Editing(form, "update", pack, is_stored=True)
    if shipped is None:
        return None
    form = RuleForm.from_body(
        rule_id, rule_body(shipped.spec), stored.scope if stored else GLOBAL_SCOPE,
        stored.enabled if stored else True,
    )  # fmt: skip
    form.min_level = shipped.min_level.name if shipped.min_level is not None else ""
    form.docs_url = shipped.docs_url or ""  # as resolved from the pack's docs base
    return Editing(form, "update" if stored is not None else "create", pack)


def _editor(request: Request, editing: Editing, status_code: int = 200) -> HTMLResponse:
    context = get_context(request)
    return render(
        request, "rule_edit.html", status_code, editing=editing, form=editing.form,
        errors=problems_by_field(editing.problems), saved=request.query_params.get("saved") == "1",
        severities=[s.label for s in sorted(Severity, reverse=True)],
        categories=[str(c) for c in Category], areas=[str(a) for a in Area],
        levels=[level.name for level in Level],
        actions=sorted(context.settings.remediation.actions), **tester_values(),
    )  # fmt: skip


@router.get("/rules/edit", response_class=HTMLResponse)
async def edit_page(
    request: Request, _: Viewer, rule_id: Annotated[str, Query(alias="id", max_length=80)] = ""
) -> HTMLResponse:
    """The editor: a new rule, a stored rule, or a shipped entry to replace (404 if unknown)."""
    try:
        editing = await asyncio.to_thread(_load, get_context(request), rule_id.strip())
    except HTTPException as error:
        raise page_error(error) from None
    if editing is None:
        raise PageError(404, "rules.error_not_found")
    return _editor(request, editing)


def _store(context: ApiContext, form: RuleForm, mode: str) -> Editing | None:
    """Validate and store the rule: None when stored, else the editor with its problems.

    Blocking (reads the packs, compiles the patterns, tests the examples, writes the store).
    """
    store = RuleStore(context.store.engine)
    existing = store.get(form.id) if form.id else None
    shipped = base_catalog(context).get(form.id)
    editing = Editing(
        form, mode, shipped.pack if shipped is not None else None,
        is_stored=existing is not None and bool(existing.body),
    )  # fmt: skip
    if mode == "create" and existing is not None:
        editing.problems = [Problem("id", None, "", "rules.edit_exists")]
        return editing
    spec, editing.problems = check_rule(context, form)
    if spec is None:
        return editing
    editing.problems = check_examples(context, spec, form.scope)
    if editing.problems:
        return editing
    now = context.clock.now()
    if existing is not None:
        changes = {"body": rule_body(spec), "scope": form.scope, "enabled": form.is_enabled}
        store.update(form.id, changes, now)
        return None
    try:
        store.create(StoredRule(form.id, rule_body(spec), form.scope, form.is_enabled, now, now))
    except RuleExistsError:
        editing.problems = [Problem("id", None, "", "rules.edit_exists")]
        return editing
    return None


@router.post("/rules/save", response_model=None)
async def save_rule(request: Request, _: Admin) -> HTMLResponse | RedirectResponse:
    """Create or update a rule; the editor comes back with the problems (422) if it is invalid."""
    posted = await request.form()
    form = RuleForm.from_form(posted)
    mode = "update" if posted.get("mode") == "update" else "create"
    context = get_context(request)
    try:
        failed = await asyncio.to_thread(_store, context, form, mode)
        if failed is not None:
            return _editor(request, failed, 422)
        await reload_rules(context, request)
    except HTTPException as error:
        raise page_error(error) from None
    target = "/rules/edit?" + urlencode({"id": form.id, "saved": "1"})
    return RedirectResponse(target, status_code=303)


@router.post("/rules/{rule_id}/delete")
async def delete_rule(request: Request, _: Admin, rule_id: RuleIdPath) -> RedirectResponse:
    """Delete a stored rule (a signature it replaced or disabled comes back) and reload."""
    context = get_context(request)
    if not await asyncio.to_thread(RuleStore(context.store.engine).delete, rule_id):
        raise PageError(404, "rules.error_not_found")
    try:
        await reload_rules(context, request)
    except HTTPException as error:
        raise page_error(error) from None
    target = "/rules?" + urlencode({"done": "deleted", "rule": rule_id})
    return RedirectResponse(target, status_code=303)
