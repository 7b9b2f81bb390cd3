"""Dashboard: the live rule tester, `POST /rules/test` (htmx) — pasted lines, what matches and why.

It runs the function behind `POST /api/v1/rules/test` (`api.routes.rules.run_rule_test`): the
lines' format is detected (or chosen); each record shows the signature that hits, its captures,
and for every signature whose pattern is found the gate that passed or stopped it. From the rule
editor the unsaved rule (`draft=1` plus the editor's fields) is tested as if stored, and its
problems come back as out-of-band swaps, so they show next to their fields while typing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from loghealth.api.deps import ApiContext, get_context
from loghealth.api.routes.rules import run_rule_test
from loghealth.api.schemas import RuleTestIn, RuleTestOut
from loghealth.engine.match import Gate
from loghealth.parsing import format_names
from loghealth.rules.schema import SignatureSpec
from loghealth.web.auth import WebUser, require_user
from loghealth.web.render import SECURITY_HEADERS, page_language, render_fragment
from loghealth.web.rule_form import Problem, RuleForm, check_rule, problems_by_field

__all__ = ["DRAFT_ID", "GATE_KEYS", "MAX_LINES", "NAV", "router", "split_lines", "tester_values"]

router = APIRouter(include_in_schema=False)
NAV = None
Viewer = Annotated[WebUser, Depends(require_user())]
MAX_LINES = 1000
"""At most this many lines are tested at once (as `RuleTestIn` allows)."""
DRAFT_ID = "draft-rule"
"""The id a draft is tested under while the editor's id field is still empty."""
GATE_KEYS: dict[str, str] = {str(gate): f"rules.gate_{gate.name.lower()}" for gate in Gate}
"""A verdict's gate (`engine.match.Gate` value) -> locale key."""


def tester_values() -> dict[str, Any]:
    """What a page embedding the tester needs: the format choices (parser names)."""
    return {"test_formats": list(format_names())}


def split_lines(text: str) -> list[str]:
    """The pasted text as lines (CR removed), without blank lines at the start and the end."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


async def _run(
    context: ApiContext, lines: list[str], log_format: str | None, draft: SignatureSpec | None
) -> tuple[RuleTestOut | None, str]:
    """The test's outcome, or None and the locale key of why there is none."""
    if len(lines) > MAX_LINES:
        return None, "rules.test_too_many"
    body = RuleTestIn(lines=lines, format=log_format)
    try:
        return await asyncio.to_thread(run_rule_test, context, body, draft), ""
    except HTTPException as error:
        return None, "rules.test_bad_format" if error.status_code == 400 else "rules.error_catalog"


def _namer(context: ApiContext, lang: str, draft: SignatureSpec | None) -> Callable[[str], str]:
    catalog = context.catalog

    def name_of(signature_id: str) -> str:
        if draft is not None and signature_id == draft.id:
            return draft.text.name if draft.text is not None else signature_id
        return catalog.text(signature_id, lang).name

    return name_of


async def _draft(context: ApiContext, form: Any) -> tuple[SignatureSpec | None, list[Problem]]:
    rule = RuleForm.from_form(form)
    rule.id = rule.id or DRAFT_ID
    return await asyncio.to_thread(check_rule, context, rule)


@router.post("/rules/test", response_class=HTMLResponse)
async def test_lines(request: Request, _: Viewer) -> HTMLResponse:
    """The tester's result (a fragment); with `draft=1`, also the draft's field problems."""
    form = await request.form()
    context = get_context(request)
    is_draft = form.get("draft") == "1"
    draft, problems = await _draft(context, form) if is_draft else (None, [])
    lines = split_lines(str(form.get("lines") or ""))
    chosen = str(form.get("format") or "")
    outcome: tuple[RuleTestOut | None, str] = (None, "")
    if lines:
        outcome = await _run(context, lines, chosen if chosen in format_names() else None, draft)
    html = render_fragment(
        request, "_rule_test.html", out=outcome[0], error_key=outcome[1], is_draft=is_draft,
        draft=draft, errors=problems_by_field(problems), has_problems=bool(problems),
        gate_keys=GATE_KEYS, name_of=_namer(context, page_language(request), draft),
    )  # fmt: skip
    return HTMLResponse(html, headers=SECURITY_HEADERS)
