"""API routes: sources — list with state, counters, drops and health; add/remove a path (admin)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from loghealth.api.deps import ApiContext, ContextDep, Principal, Responses, require
from loghealth.api.schemas import ScoreOut, SourceAddedOut, SourceAddIn, SourceOut
from loghealth.engine import health_score
from loghealth.model import Finding, FindingState
from loghealth.store.queries import FindingFilter
from loghealth.store.tokens import Role

__all__ = ["router", "source_list"]

router = APIRouter(tags=["sources"])
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
_NO_CONTROL: Responses = {
    503: {"description": "sources cannot be changed (the API runs without serve)"}
}


@router.get("/sources", response_model=list[SourceOut], summary="List sources")
async def list_sources(context: ContextDep, _: Viewer) -> list[SourceOut]:
    """Every known source (committed counters), running or not, with health from its findings."""
    return await source_list(context)


async def source_list(context: ApiContext) -> list[SourceOut]:
    """Every known source by id, then running ones with nothing committed yet.

    Shared by the API and the dashboard's Sources page. `lag_secs` is the time since the last
    record by the context's clock, in seconds; health comes from the source's active findings.
    """
    rows = await asyncio.to_thread(context.store.sources)
    spec = FindingFilter(states=(FindingState.OPEN, FindingState.REGRESSED))
    active = await asyncio.to_thread(context.findings.all, spec)
    by_source: dict[str, list[Finding]] = defaultdict(list)
    for stored in active:
        by_source[stored.finding.source].append(stored.finding)
    running = set(context.pipeline.sources) if context.pipeline is not None else set()
    now = context.clock.now()
    out = []
    for row in rows:
        health = health_score(by_source.get(row.id, []))
        lag = (now - row.last_record_at).total_seconds() if row.last_record_at else None
        out.append(
            SourceOut(
                id=row.id, kind=row.kind, format=row.format, state=row.state,
                is_running=row.id in running or row.kind == "http_push",
                records_read=row.records_read, lines_read=row.lines_read,
                unparsed_lines=row.unparsed_lines, bytes_read=row.bytes_read, hits=row.hits,
                drops={str(k): int(v) for k, v in (row.drops or {}).items()},
                last_record_at=row.last_record_at, lag_secs=lag, error=row.error,
                updated_at=row.updated_at, active_findings=len(by_source.get(row.id, [])),
                health=ScoreOut(score=health.score, status=str(health.status)),
            )
        )  # fmt: skip
    known = {row.id for row in rows}
    for source_id in sorted(running - known):
        source = context.pipeline.sources[source_id] if context.pipeline else None
        out.append(
            SourceOut(
                id=source_id, kind=source.kind if source else "unknown", format=None,
                state="starting", is_running=True, records_read=0, lines_read=0,
                unparsed_lines=0, bytes_read=0, hits=0, drops={}, last_record_at=None,
                lag_secs=None, error=None, updated_at=None, active_findings=0,
                health=ScoreOut(score=100, status="healthy"),
            )
        )  # fmt: skip
    return out


@router.post(
    "/sources",
    response_model=SourceAddedOut,
    status_code=201,
    responses={**_NO_CONTROL, 400: {"description": "not an absolute path"}},
    summary="Follow a path",
)
async def add_source(context: ContextDep, _: Admin, body: SourceAddIn) -> SourceAddedOut:
    """Start following a file, directory or glob (absolute); returns the sources started."""
    if context.sources is None:
        raise HTTPException(503, "sources can only be changed while `loghealth serve` runs")
    if "\x00" in body.path or not Path(body.path).is_absolute():
        raise HTTPException(400, f"path must be absolute: {body.path!r}")
    return SourceAddedOut(source_ids=context.sources.add_path(body.path))


@router.delete(
    "/sources/{source_id:path}",
    status_code=204,
    responses={**_NO_CONTROL, 404: {"description": "no such running source"}},
    summary="Stop following a source",
)
async def remove_source(context: ContextDep, _: Admin, source_id: str) -> None:
    """Stop a running source; its committed counters and findings stay."""
    if context.sources is None:
        raise HTTPException(503, "sources can only be changed while `loghealth serve` runs")
    if not context.sources.remove(source_id):
        raise HTTPException(404, f"no running source {source_id!r}")
