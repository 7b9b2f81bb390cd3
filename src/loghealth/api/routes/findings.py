"""API routes: findings — list (filters, paging), one with hits and history, actions, views.

`recent`, `critical`, `statistics` and `health` follow the monitor spec (monitor-api.md): health
counts active findings hit within `findings.health_window_secs` (default 300 s).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query

from loghealth.api.deps import (
    ApiContext,
    ContextDep,
    Principal,
    Responses,
    RowId,
    require,
    utc,
)
from loghealth.api.schemas import (
    FindingDetailOut,
    FindingOut,
    FindingPageOut,
    HealthOut,
    HistoryOut,
    HitOut,
    ScoreOut,
    SnoozeIn,
    StatisticsOut,
)
from loghealth.engine import health_score
from loghealth.engine.lifecycle import Action
from loghealth.model import Area, Category, FindingState, Severity
from loghealth.rules.loader import Catalog
from loghealth.store.queries import FindingFilter
from loghealth.store.repository import StoredFinding
from loghealth.store.tokens import Role

__all__ = ["finding_out", "language", "router"]

router = APIRouter(tags=["findings"])
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
AcceptLanguage = Annotated[str | None, Header(description="language of the texts (en, ru…)")]
RECENT_SECS = 300
SeverityName = Literal["info", "warning", "error", "critical"]
_NOT_FOUND: Responses = {404: {"description": "no such finding"}}


def language(accept_language: str | None) -> str:
    """The first language tag of an `Accept-Language` header (RFC 9110 §12.5.4), or `en`."""
    if not accept_language:
        return "en"
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return first.split("-", 1)[0] or "en"


def finding_out(stored: StoredFinding, catalog: Catalog, lang: str = "en") -> FindingOut:
    """A stored finding as the API shows it, texts in `lang` (English fallback)."""
    finding = stored.finding
    text = catalog.text(finding.signature_id, lang)
    signature = catalog.get(finding.signature_id)
    return FindingOut(
        id=stored.id,
        fingerprint=stored.fingerprint,
        signature_id=finding.signature_id,
        pack=finding.pack,
        title=text.name,
        severity=finding.severity.label,
        category=str(finding.category),
        area=str(finding.area),
        state=str(stored.state),
        source_id=finding.source,
        count=finding.count,
        first_seen_at=finding.first_seen,
        last_seen_at=finding.last_seen,
        last_hit_at=stored.last_hit_at,
        state_changed_at=stored.state_changed_at,
        snoozed_until=stored.snoozed_until,
        sample=finding.sample,
        sample_line=finding.sample_line,
        cause=text.cause,
        fix=text.fix,
        docs_url=signature.docs_url if signature else None,
        catalog_version=stored.catalog_version,
    )


@router.get("/findings", response_model=FindingPageOut, summary="List findings")
async def list_findings(
    context: ContextDep,
    _: Viewer,
    state: Annotated[list[FindingState] | None, Query()] = None,
    severity: Annotated[list[SeverityName] | None, Query()] = None,
    category: Annotated[list[Category] | None, Query()] = None,
    area: Annotated[list[Area] | None, Query()] = None,
    source: Annotated[str | None, Query(max_length=512)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
    since: Annotated[datetime | None, Query(description="last hit at or after (ISO 8601)")] = None,
    text: Annotated[str | None, Query(max_length=200, description="substring")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    accept_language: AcceptLanguage = None,
) -> FindingPageOut:
    """Findings matching every given filter, newest hit first; repeat a filter for any-of."""
    spec = FindingFilter(
        states=state or (),
        severities=[Severity.parse(name) for name in severity or ()],
        categories=[str(c) for c in category or ()],
        areas=[str(a) for a in area or ()],
        source=source,
        signature=signature,
        since=utc(since, "since"),
        text=text,
    )
    items, total = await asyncio.to_thread(context.findings.page, spec, limit, offset)
    lang = language(accept_language)
    return FindingPageOut(
        items=[finding_out(s, context.catalog, lang) for s in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/findings/recent", response_model=list[FindingOut], summary="Recent findings")
async def recent_findings(
    context: ContextDep,
    _: Viewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    accept_language: AcceptLanguage = None,
) -> list[FindingOut]:
    """The findings hit most recently, any state."""
    items, _total = await asyncio.to_thread(context.findings.page, FindingFilter(), limit, 0)
    lang = language(accept_language)
    return [finding_out(s, context.catalog, lang) for s in items]


@router.get("/findings/critical", response_model=list[FindingOut], summary="Critical findings")
async def critical_findings(
    context: ContextDep,
    _: Viewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    accept_language: AcceptLanguage = None,
) -> list[FindingOut]:
    """Unresolved findings of severity error or worse (open or regressed)."""
    spec = FindingFilter(
        states=(FindingState.OPEN, FindingState.REGRESSED), min_severity=Severity.ERROR
    )
    items, _total = await asyncio.to_thread(context.findings.page, spec, limit, 0)
    lang = language(accept_language)
    return [finding_out(s, context.catalog, lang) for s in items]


async def _health(context: ApiContext) -> HealthOut:
    window = context.settings.findings.health_window_secs
    since = context.clock.now() - timedelta(seconds=window)
    spec = FindingFilter(states=(FindingState.OPEN, FindingState.REGRESSED), since=since)
    active = await asyncio.to_thread(context.findings.all, spec)
    health = health_score(s.finding for s in active)
    return HealthOut(
        score=health.score,
        status=str(health.status),
        recent_count=len(active),
        window_secs=window,
    )


@router.get("/health", response_model=HealthOut, summary="Overall health", tags=["health"])
async def overall_health(context: ContextDep, _: Viewer) -> HealthOut:
    """Health score 0-100 and status from active findings hit within the health window."""
    return await _health(context)


@router.get("/statistics", response_model=StatisticsOut, summary="Statistics", tags=["health"])
async def statistics(context: ContextDep, _: Viewer) -> StatisticsOut:
    """Totals, the last 5 minutes, distributions by state/severity/category/area, health."""
    since = context.clock.now() - timedelta(seconds=RECENT_SECS)
    every = await asyncio.to_thread(context.findings.all, FindingFilter())
    hits_recent = await asyncio.to_thread(context.findings.hits_since, since)
    sources = await asyncio.to_thread(context.store.sources)
    health = await _health(context)
    pipeline = context.pipeline
    return StatisticsOut(
        total_findings=len(every),
        active_findings=sum(1 for s in every if s.state.is_active),
        findings_last_5_min=sum(1 for s in every if s.last_hit_at >= since),
        hits_last_5_min=hits_recent,
        by_state=dict(Counter(str(s.state) for s in every)),
        by_severity={
            sev.label: sum(1 for s in every if s.finding.severity is sev)
            for sev in sorted(Severity, reverse=True)
        },
        by_category={str(c): sum(1 for s in every if s.finding.category is c) for c in Category},
        by_area=dict(Counter(str(s.finding.area) for s in every)),
        monitored_sources=len(pipeline.sources) if pipeline is not None else len(sources),
        is_monitoring=pipeline is not None,
        health=ScoreOut(score=health.score, status=health.status),
    )


@router.get(
    "/findings/{finding_id}",
    response_model=FindingDetailOut,
    responses=_NOT_FOUND,
    summary="One finding",
)
async def get_finding(
    context: ContextDep,
    _: Viewer,
    finding_id: RowId,
    hits: Annotated[int, Query(ge=0, le=50, description="recent hits to include")] = 20,
    accept_language: AcceptLanguage = None,
) -> FindingDetailOut:
    """One finding with its most recent hits and its state history."""
    stored = await asyncio.to_thread(context.store.finding, finding_id)
    if stored is None:
        raise HTTPException(404, f"no finding with id {finding_id}")
    recent = await asyncio.to_thread(context.findings.hits, finding_id, hits)
    history = await asyncio.to_thread(context.store.history, finding_id)
    base = finding_out(stored, context.catalog, language(accept_language))
    return FindingDetailOut(
        **base.model_dump(),
        hits=[HitOut(seen_at=h.seen_at, received_at=h.received_at, line=h.line, sample=h.sample)
              for h in recent],
        history=[HistoryOut(at=h["at"], actor=h["actor"], from_state=h["from"], to_state=h["to"],
                            note=h["note"]) for h in history],
    )  # fmt: skip


async def _act(
    context: ContextDep,
    principal: Principal,
    finding_id: RowId,
    action: Action,
    until: datetime | None = None,
) -> FindingOut:
    try:
        event = await asyncio.to_thread(
            context.store.act, finding_id, action, principal.actor, context.clock.now(), until
        )
    except KeyError:
        raise HTTPException(404, f"no finding with id {finding_id}") from None
    except ValueError as error:
        raise HTTPException(409, str(error)) from None
    context.bus.publish([event])
    return finding_out(event.finding, context.catalog)


_ACTION_RESPONSES: Responses = {
    404: {"description": "no such finding"},
    409: {"description": "the action does not apply in the finding's state"},
}


@router.post(
    "/findings/{finding_id}/resolve", response_model=FindingOut, responses=_ACTION_RESPONSES
)
async def resolve_finding(context: ContextDep, principal: Admin, finding_id: RowId) -> FindingOut:
    """Mark a finding resolved (it regresses if it fires again)."""
    return await _act(context, principal, finding_id, Action.RESOLVE)


@router.post(
    "/findings/{finding_id}/reopen", response_model=FindingOut, responses=_ACTION_RESPONSES
)
async def reopen_finding(context: ContextDep, principal: Admin, finding_id: RowId) -> FindingOut:
    """Reopen a resolved, ignored or snoozed finding."""
    return await _act(context, principal, finding_id, Action.REOPEN)


@router.post(
    "/findings/{finding_id}/ignore", response_model=FindingOut, responses=_ACTION_RESPONSES
)
async def ignore_finding(context: ContextDep, principal: Admin, finding_id: RowId) -> FindingOut:
    """Ignore a finding (it keeps counting silently; sticks to its fingerprint)."""
    return await _act(context, principal, finding_id, Action.IGNORE)


@router.post(
    "/findings/{finding_id}/snooze", response_model=FindingOut, responses=_ACTION_RESPONSES
)
async def snooze_finding(
    context: ContextDep, principal: Admin, finding_id: RowId, body: SnoozeIn
) -> FindingOut:
    """Silence a finding until `until` (then it reopens if it fires)."""
    until = utc(body.until, "until")
    if until is None or until <= context.clock.now():
        raise HTTPException(422, "until: snooze needs a time in the future")
    return await _act(context, principal, finding_id, Action.SNOOZE, until)
