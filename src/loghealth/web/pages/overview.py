"""Dashboard page `/`: the overview.

Overall health, health per source and client, open findings by severity, category and area,
findings over time, critical open findings and the live feed. `GET /ui/overview/panels` renders
every panel but the feed again, as htmx out-of-band swaps: `static/js/app.js` asks for it after
finding events (at most every 2 s) and htmx every 30 s, so the page stays current without a reload.

Data comes from the store query classes and functions the API uses (`FindingReader`,
`health_score`, `finding_out`, the fleet status rule), read in one worker thread per request.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from loghealth.api.deps import ApiContext, get_context
from loghealth.api.fleet import is_alive
from loghealth.api.routes.clients import SOURCE_PREFIX
from loghealth.api.routes.findings import finding_out
from loghealth.engine import health_score
from loghealth.model import Area, Category, Finding, FindingState, Severity
from loghealth.store.queries import FindingFilter
from loghealth.store.repository import StoredFinding
from loghealth.store.timeline import FindingTimeline
from loghealth.web.auth import WebUser, require_user
from loghealth.web.i18n import Translator
from loghealth.web.pages.live import feed_items
from loghealth.web.render import NavItem, page_language, render
from loghealth.web.series import SPANS, buckets_until

__all__ = ["NAV", "SourceHealth", "router"]

router = APIRouter(include_in_schema=False)
NAV = NavItem("/", "nav.overview", order=10)
Viewer = Annotated[WebUser, Depends(require_user())]
ACTIVE = (FindingState.OPEN, FindingState.REGRESSED)
CRITICAL_ROWS = 10
FEED_ROWS = 15
SOURCE_ROWS = 8
"""Sources shown on the overview, least healthy first."""
_SEVERITIES = sorted(Severity, reverse=True)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One row of "health per source": a file/container/syslog source or a fleet client.

    `is_online` is None for sources that are not clients; `last_at` is the last record read
    (sources) or the last heartbeat (clients), aware UTC.
    """

    id: str
    kind: str
    score: int
    status: str
    active_count: int
    last_at: datetime | None
    is_online: bool | None


def _source_rows(context: ApiContext, active: list[StoredFinding]) -> list[SourceHealth]:
    by_source: dict[str, list[Finding]] = defaultdict(list)
    for stored in active:
        by_source[stored.finding.source].append(stored.finding)
    now, grace = context.clock.now(), context.settings.clients.heartbeat_grace_secs
    clients = {SOURCE_PREFIX + c.id: c for c in context.clients.all()}
    known = {row.id: (row.kind, row.last_record_at) for row in context.store.sources()}
    for source_id in by_source:
        known.setdefault(source_id, ("file" if source_id.startswith("file:") else "other", None))
    for source_id in clients:
        known.setdefault(source_id, ("client", None))
    rows = []
    for source_id, (kind, last_at) in known.items():
        health = health_score(by_source.get(source_id, []))
        client = clients.get(source_id)
        rows.append(
            SourceHealth(
                id=source_id,
                kind="client" if client is not None else kind,
                score=health.score,
                status=str(health.status),
                active_count=len(by_source.get(source_id, [])),
                last_at=client.last_seen_at if client is not None else last_at,
                is_online=is_alive(client, now, grace) if client is not None else None,
            )
        )
    return sorted(rows, key=lambda r: (r.score, r.id))


def _timeline(context: ApiContext, span_name: str, t: Translator) -> dict[str, Any]:
    buckets = buckets_until(context.clock.now(), SPANS[span_name])
    changes = FindingTimeline(context.store.engine).transitions_since(
        buckets.starts[0], to_states=ACTIVE
    )
    series = [
        {
            "key": severity.label,
            "label": t(f"severity.{severity.label}"),
            "data": buckets.count(change.at for change, sev in changes if sev is severity),
        }
        for severity in _SEVERITIES
    ]
    return {"labels": buckets.labels(), "series": series, "total": len(changes)}


def _panels(context: ApiContext, span_name: str, t: Translator) -> dict[str, Any]:
    """The values of every panel but the live feed (blocking I/O)."""
    now = context.clock.now()
    active = context.findings.all(FindingFilter(states=ACTIVE))
    window = context.settings.findings.health_window_secs
    recent = [s for s in active if s.last_hit_at >= now - timedelta(seconds=window)]
    by_severity = Counter(s.finding.severity for s in active)
    critical = [s for s in active if s.finding.severity >= Severity.ERROR][:CRITICAL_ROWS]
    return {
        "health": health_score(s.finding for s in recent),
        "health_window_mins": window // 60,
        "active_count": len(active),
        "severity_counts": [(sev.label, by_severity.get(sev, 0)) for sev in _SEVERITIES],
        "severity_summary": ", ".join(
            f"{t(f'severity.{sev.label}')} {by_severity.get(sev, 0)}" for sev in _SEVERITIES
        ),
        "severity_chart": {
            "keys": [sev.label for sev in _SEVERITIES],
            "labels": [t(f"severity.{sev.label}") for sev in _SEVERITIES],
            "data": [by_severity.get(sev, 0) for sev in _SEVERITIES],
        },
        "category_counts": _ranked(Counter(str(s.finding.category) for s in active), Category),
        "area_counts": _ranked(Counter(str(s.finding.area) for s in active), Area),
        "critical": [finding_out(s, context.catalog, t.lang) for s in critical],
        "sources": _source_rows(context, active),
        "source_rows": SOURCE_ROWS,
        "critical_rows": CRITICAL_ROWS,
        "timeline": _timeline(context, span_name, t),
    }


def _collect(context: ApiContext, span_name: str, t: Translator) -> dict[str, Any]:
    return {**_panels(context, span_name, t), "feed": feed_items(context, t.lang, FEED_ROWS)}


def _ranked(counts: Counter[str], names: type[Category] | type[Area]) -> list[tuple[str, int]]:
    """Every non-zero name with its count, largest first (ties in the enum's order)."""
    order = {str(name): i for i, name in enumerate(names)}
    return sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], order[kv[0]]))


@router.get("/", response_class=HTMLResponse)
async def overview(
    request: Request,
    user: Viewer,
    span: Annotated[str, Query(alias="range", max_length=8)] = "24h",
) -> HTMLResponse:
    """The overview page (`?range=24h|7d` picks the span of the findings-over-time chart)."""
    span, data = await _gathered(request, span, _collect)
    return render(request, "overview.html", span=span, spans=list(SPANS), **data)


@router.get("/ui/overview/panels", response_class=HTMLResponse)
async def overview_panels(
    request: Request,
    _: Viewer,
    span: Annotated[str, Query(alias="range", max_length=8)] = "24h",
) -> HTMLResponse:
    """The overview's panels (all but the feed) as elements with `hx-swap-oob`, same `?range=`."""
    span, data = await _gathered(request, span, _panels)
    return render(request, "_overview_update.html", span=span, **data)


async def _gathered(
    request: Request, span: str, gather: Callable[[ApiContext, str, Translator], dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    """The span asked for (`24h` when unknown) and what `gather` reads for it, in a thread."""
    span = span if span in SPANS else "24h"
    t = Translator(page_language(request))
    return span, await asyncio.to_thread(gather, get_context(request), span, t)
