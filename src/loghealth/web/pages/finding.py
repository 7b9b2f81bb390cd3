"""Dashboard page `/findings/{id}`: one finding in detail.

Name, cause, fix, docs link, redacted sample, its pattern's captures, a timeline of its recent
hits, its state history and (for admins) the actions.
"""

from __future__ import annotations

import asyncio
import re
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse

from loghealth.api.deps import ApiContext, get_context
from loghealth.api.routes.findings import finding_out
from loghealth.rules.loader import Catalog
from loghealth.web.auth import PageError, WebUser, require_user
from loghealth.web.pages.findings import SNOOZE_CHOICES, action_notice, actions_for
from loghealth.web.render import page_language, render
from loghealth.web.series import adaptive_buckets

__all__ = ["HITS_SHOWN", "captures", "router"]

router = APIRouter(include_in_schema=False)
Viewer = Annotated[WebUser, Depends(require_user())]
HITS_SHOWN = 50
"""Recent hits read for the timeline and the table (the store keeps 50 per finding)."""


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.IGNORECASE)  # as `rules.compile` confirms matches
    except re.error:
        return None


def captures(catalog: Catalog, signature_id: str, sample: str) -> dict[str, str]:
    """What the signature's first matching pattern captures from the redacted `sample`.

    Named groups by name, unnamed ones as `1`, `2`…; groups that matched nothing are left out.
    Empty when no pattern matches (the sample is redacted, so a capture may not survive).
    """
    signature = catalog.get(signature_id)
    for pattern in signature.spec.patterns if signature is not None else ():
        compiled = _compiled(pattern)
        found = compiled.search(sample) if compiled is not None else None
        if found is None:
            continue
        named = found.groupdict()
        groups = named or {str(i): g for i, g in enumerate(found.groups(), start=1)}
        return {name: value for name, value in groups.items() if value is not None}
    return {}


def _collect(context: ApiContext, finding_id: int, lang: str) -> dict[str, Any] | None:
    stored = context.store.finding(finding_id)
    if stored is None:
        return None
    hits = context.findings.hits(finding_id, HITS_SHOWN)
    times = [hit.seen_at or hit.received_at for hit in hits]
    buckets = adaptive_buckets(times)
    finding = finding_out(stored, context.catalog, lang)
    return {
        "finding": finding,
        "captures": captures(context.catalog, finding.signature_id, finding.sample),
        "hits": hits,
        "history": list(reversed(context.store.history(finding_id))),
        "hit_chart": {"labels": buckets.labels(), "data": buckets.count(times)},
        "actions": actions_for(finding.state),
    }


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
async def finding_page(
    request: Request, _: Viewer, finding_id: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> HTMLResponse:
    """One finding in detail (404 page when there is no such finding)."""
    data = await asyncio.to_thread(
        _collect, get_context(request), finding_id, page_language(request)
    )
    if data is None:
        raise PageError(404, "error.not_found")
    return render(
        request, "finding.html", snooze_choices=list(SNOOZE_CHOICES),
        notice=action_notice(request), **data,
    )  # fmt: skip
