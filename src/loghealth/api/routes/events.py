"""API routes: `GET /events` — finding events as Server-Sent Events (WHATWG HTML §9.2).

Each event: `event: <kind>` (opened, updated, regressed, resolved, state_changed), `id: <n>`
and `data: {"kind", "actor", "finding": {…}}` (one JSON line). A comment line every
`KEEPALIVE_SECS` keeps proxies from closing an idle stream. `limit` ends the stream after that
many events and `timeout_secs` after that long (for scripts and tests); every stream ends when
the server shuts down.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from loghealth.api.deps import ApiContext, ContextDep, Principal, require
from loghealth.api.routes.findings import finding_out
from loghealth.runtime.bus import next_event
from loghealth.store.tokens import Role

__all__ = ["KEEPALIVE_SECS", "router"]

router = APIRouter(tags=["events"])
KEEPALIVE_SECS = 15.0


async def _stream(
    context: ApiContext, limit: int | None, timeout_secs: float | None
) -> AsyncIterator[str]:
    queue = context.bus.subscribe()
    sent = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_secs if timeout_secs is not None else None
    try:
        yield ": connected\n\n"
        while limit is None or sent < limit:
            wait = KEEPALIVE_SECS
            if deadline is not None:
                wait = min(wait, deadline - loop.time())
                if wait <= 0:
                    break
            event = await next_event(queue, context.stopping, wait)
            if context.stopping.is_set():
                break
            if event is None:
                yield ": keepalive\n\n"
                continue
            sent += 1
            data = {
                "kind": str(event.kind),
                "actor": event.actor,
                "finding": finding_out(event.finding, context.catalog).model_dump(mode="json"),
            }
            yield f"event: {event.kind}\nid: {sent}\ndata: {json.dumps(data)}\n\n"
    finally:
        context.bus.unsubscribe(queue)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
    summary="Finding events (SSE)",
)
async def events(
    context: ContextDep,
    _: Annotated[Principal, Depends(require(Role.VIEWER))],
    limit: Annotated[int | None, Query(ge=1, le=100_000, description="end after n")] = None,
    timeout_secs: Annotated[
        float | None, Query(gt=0, le=86_400, description="end after this long")
    ] = None,
) -> StreamingResponse:
    """Finding opened / updated / regressed / resolved / state_changed, as they happen."""
    return StreamingResponse(
        _stream(context, limit, timeout_secs),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
