"""Dashboard: the live feed — finding events as rendered table rows over Server-Sent Events.

`GET /ui/events` streams `event: finding` messages whose data is one `<tr>` (in the viewer's
language), for htmx's SSE extension to insert at the top of the feed (WHATWG HTML §9.2). The
stream ends when the server stops (`DashboardState.stopping`), so an open tab never holds up
a shutdown; the browser reconnects by itself after a restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from loghealth.api.deps import ApiContext, get_context
from loghealth.api.routes.events import KEEPALIVE_SECS
from loghealth.api.routes.findings import finding_out
from loghealth.api.schemas import FindingOut
from loghealth.engine.lifecycle import EventKind
from loghealth.model import FindingState
from loghealth.rules.loader import Catalog
from loghealth.runtime.bus import next_event
from loghealth.store.repository import FindingEvent
from loghealth.store.timeline import FindingTimeline, FindingTransition
from loghealth.web.auth import WebUser, require_user
from loghealth.web.render import SECURITY_HEADERS, page_language, render_fragment

__all__ = ["FeedItem", "event_item", "feed_items", "router", "sse_message"]

router = APIRouter(include_in_schema=False)
Viewer = Annotated[WebUser, Depends(require_user())]
_HIT_KINDS = (EventKind.OPENED, EventKind.UPDATED, EventKind.REGRESSED)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One feed row: what happened (`EventKind` value), when (aware UTC), who, to which finding."""

    kind: str
    at: datetime
    actor: str
    finding: FindingOut


def _kind(change: FindingTransition) -> EventKind:
    if change.from_state is None:
        return EventKind.OPENED
    return {
        FindingState.REGRESSED: EventKind.REGRESSED,
        FindingState.RESOLVED: EventKind.RESOLVED,
    }.get(change.to_state, EventKind.STATE_CHANGED)


def feed_items(context: ApiContext, lang: str, limit: int) -> list[FeedItem]:
    """The newest `limit` recorded state changes as feed rows, newest first (blocking I/O)."""
    recent = FindingTimeline(context.store.engine).recent(limit)
    return [
        FeedItem(
            str(_kind(change)), change.at, change.actor, finding_out(stored, context.catalog, lang)
        )
        for change, stored in recent
    ]


def event_item(event: FindingEvent, catalog: Catalog, lang: str) -> FeedItem:
    """A bus event as a feed row (hit events at the last hit, others at the state change)."""
    stored = event.finding
    at = stored.last_hit_at if event.kind in _HIT_KINDS else stored.state_changed_at
    return FeedItem(str(event.kind), at, event.actor, finding_out(stored, catalog, lang))


def sse_message(event: str, data: str) -> str:
    """One SSE message: `event:` then one `data:` line per line of `data`, then a blank line."""
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


async def _stream(request: Request, context: ApiContext, lang: str) -> AsyncIterator[str]:
    stopping = context.stopping
    queue = context.bus.subscribe()
    try:
        yield "retry: 3000\n: connected\n\n"
        while not stopping.is_set():
            event = await next_event(queue, stopping, KEEPALIVE_SECS)
            if stopping.is_set():
                break
            if event is None:
                yield ": keepalive\n\n"
                continue
            item = event_item(event, context.catalog, lang)
            yield sse_message("finding", render_fragment(request, "_feed_row.html", item=item))
    finally:
        context.bus.unsubscribe(queue)


@router.get("/ui/events")
async def live_events(request: Request, _: Viewer) -> StreamingResponse:
    """Finding events as rendered feed rows (`text/event-stream`)."""
    headers = {**SECURITY_HEADERS, "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _stream(request, get_context(request), page_language(request)),
        media_type="text/event-stream",
        headers=headers,
    )
