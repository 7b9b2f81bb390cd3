"""API routes: fleet clients — ingest, heartbeat, registration, logs, summary, errors, overview.

Limits, defaults and errors follow the client-monitoring spec: logs `limit` default 50 (capped
at 500), summary `hours` default 24 (capped at 168), recent errors `limit` default 20 (capped at
100); a bad `level` or `since` is a 400 naming the valid values; an unknown client is a 404.
Reading logs needs admin; the overview needs superadmin; a client's ingest key may only push
for that client. Pushed entries are stored (with retention) and matched by the live engine as
source `client:<id>`, so client logs produce findings too.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from loghealth.api.deps import (
    ApiContext,
    ClientId,
    ContextDep,
    Principal,
    Responses,
    require,
    require_client,
    utc,
)
from loghealth.api.fleet import (
    client_out,
    client_status,
    context_object,
    counts_out,
    entry_out,
    entry_record,
    is_alive,
    parse_level,
)
from loghealth.api.schemas import (
    ClientIn,
    ClientKeyOut,
    ClientOut,
    ClientSummaryItem,
    ClientSummaryOut,
    HeartbeatIn,
    IngestOut,
    IngestStatusOut,
    LogBatchIn,
    LogEntryOut,
    OverviewClientOut,
    OverviewOut,
    OverviewTotalsOut,
)
from loghealth.model import FindingState, Severity
from loghealth.store.clients import ClientInfo, ClientLevel, EntryData, Heartbeat
from loghealth.store.queries import FindingFilter
from loghealth.store.tokens import Role

__all__ = ["SOURCE_PREFIX", "delete_fleet_client", "fleet_overview", "new_ingest_key", "router"]

router = APIRouter(tags=["clients"])
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Superadmin = Annotated[Principal, Depends(require(Role.SUPERADMIN))]
ClientOrAdmin = Annotated[Principal, Depends(require_client(Role.ADMIN))]
_UNKNOWN: Responses = {404: {"description": "no such client"}}
SOURCE_PREFIX = "client:"
RECENT_SECS = 300


def _since(text: str | None) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise HTTPException(
            400, f"since: {text!r} is not an ISO 8601 time (e.g. 2024-05-01T10:00:00Z)"
        ) from None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise HTTPException(400, f"since: {text!r} is out of range") from None


async def _worst_findings(context: ApiContext) -> dict[str, Severity]:
    spec = FindingFilter(
        states=(FindingState.OPEN, FindingState.REGRESSED), source_prefix=SOURCE_PREFIX
    )
    active = await asyncio.to_thread(context.findings.all, spec)
    worst: dict[str, Severity] = {}
    for stored in active:
        client_id = stored.finding.source.removeprefix(SOURCE_PREFIX)
        severity = stored.finding.severity
        worst[client_id] = max(worst.get(client_id, severity), severity)
    return worst


async def _one(context: ApiContext, client_id: str) -> ClientOut:
    info = await asyncio.to_thread(context.clients.get, client_id)
    if info is None:
        raise HTTPException(404, f"no client {client_id!r}")
    now = context.clock.now()
    since = now - timedelta(seconds=context.settings.clients.status_window_secs)
    counts = await asyncio.to_thread(context.clients.level_counts, since, client_id)
    worst = await _worst_findings(context)
    alive = is_alive(info, now, context.settings.clients.heartbeat_grace_secs)
    status = client_status(info, alive, counts.get(client_id, {}), worst.get(client_id))
    return client_out(info, alive, status)


# ---- pushing (client key or admin) ------------------------------------------------------------
@router.post(
    "/clients/{client_id}/logs",
    response_model=IngestOut,
    status_code=202,
    responses={**_UNKNOWN, 413: {"description": "too many entries or too large a body"}},
    summary="Push log entries",
)
async def push_logs(
    context: ContextDep, principal: ClientOrAdmin, client_id: ClientId, body: LogBatchIn
) -> IngestOut:
    """Store a batch of entries and match them; 202 once committed."""
    limit = context.settings.api.max_batch_entries
    if len(body.entries) > limit:
        raise HTTPException(413, f"{len(body.entries)} entries: at most {limit} per push")
    if (
        principal.client_id is None
        and await asyncio.to_thread(context.clients.get, client_id) is None
    ):
        raise HTTPException(404, f"no client {client_id!r}: register it with PUT first")
    now = context.clock.now()
    entries = []
    for index, item in enumerate(body.entries):
        try:
            level = parse_level(item.level)
        except ValueError as error:
            raise HTTPException(422, f"entries.{index}.level: {error}") from None
        at = utc(item.timestamp, f"entries.{index}.timestamp") or now
        entries.append(
            EntryData(client_id, at, level, item.message, item.logger, context_object(item.context))
        )
    await context.writer.write(entries)
    if context.pipeline is not None:
        source_id = SOURCE_PREFIX + client_id
        context.pipeline.feed_records(
            source_id, "http_push", [entry_record(e, source_id) for e in entries]
        )
    return IngestOut(client_id=client_id, accepted=len(entries))


@router.post(
    "/clients/{client_id}/heartbeat",
    response_model=ClientOut,
    responses=_UNKNOWN,
    summary="Heartbeat",
)
async def heartbeat(
    context: ContextDep,
    _: ClientOrAdmin,
    client_id: ClientId,
    body: HeartbeatIn,
    request: Request,
) -> ClientOut:
    """Record that the client is alive, with its process and app/screen status."""
    beat = Heartbeat(
        process_status=body.process_status,
        app_status=body.app_status,
        process_name=body.process_name,
        pid=body.pid,
        hostname=body.hostname,
        ip=request.client.host if request.client else None,
        metadata=body.metadata,
    )
    info = await asyncio.to_thread(context.clients.heartbeat, client_id, beat, context.clock.now())
    if info is None:
        raise HTTPException(404, f"no client {client_id!r}: register it with PUT first")
    return await _one(context, client_id)


# ---- fleet views (before /clients/{client_id}) ------------------------------------------------
@router.get("/clients", response_model=OverviewOut, summary="Fleet overview")
async def overview(context: ContextDep, _: Superadmin) -> OverviewOut:
    """Every client with status, window counts, latest entry and error; fleet totals."""
    return await fleet_overview(context)


async def fleet_overview(context: ApiContext) -> OverviewOut:
    """The fleet overview (shared by the API and the dashboard's Clients page).

    Clients in the store's overview order (group, description, hostname, id); counts cover the
    settings' status window (`clients.status_window_secs`) up to the context's clock.
    """
    settings = context.settings.clients
    now = context.clock.now()
    since = now - timedelta(seconds=settings.status_window_secs)
    infos = await asyncio.to_thread(context.clients.all)
    counts = await asyncio.to_thread(context.clients.level_counts, since)
    latest = await asyncio.to_thread(context.clients.latest)
    latest_error = await asyncio.to_thread(context.clients.latest, ClientLevel.ERROR)
    worst = await _worst_findings(context)
    active = await asyncio.to_thread(
        context.findings.all,
        FindingFilter(
            states=(FindingState.OPEN, FindingState.REGRESSED), source_prefix=SOURCE_PREFIX
        ),
    )
    active_count: dict[str, int] = defaultdict(int)
    for stored in active:
        active_count[stored.finding.source.removeprefix(SOURCE_PREFIX)] += 1
    items = []
    statuses: dict[str, int] = defaultdict(int)
    online = 0
    for info in infos:
        alive = is_alive(info, now, settings.heartbeat_grace_secs)
        online += alive
        mine = counts.get(info.id, {})
        status = client_status(info, alive, mine, worst.get(info.id))
        statuses[status] += 1
        last, error = latest.get(info.id), latest_error.get(info.id)
        items.append(
            OverviewClientOut(
                client=client_out(info, alive, status),
                counts=counts_out(mine),
                latest_entry=entry_out(last, info) if last else None,
                latest_error=entry_out(error, info) if error else None,
                active_findings=active_count.get(info.id, 0),
            )
        )
    totals = OverviewTotalsOut(
        clients=len(infos), online=online, offline=len(infos) - online,
        healthy=statuses["healthy"], warning=statuses["warning"], critical=statuses["critical"],
        error_entries=sum(c.get("ERROR", 0) for c in counts.values()),
        warning_entries=sum(c.get("WARN", 0) for c in counts.values()),
    )  # fmt: skip
    return OverviewOut(
        clients=items,
        totals=totals,
        heartbeat_grace_secs=settings.heartbeat_grace_secs,
        window_secs=settings.status_window_secs,
    )


@router.get("/clients/summary", response_model=ClientSummaryOut, summary="Counts per client")
async def summary(
    context: ContextDep,
    _: Admin,
    hours: Annotated[int, Query(ge=1, description="window in hours (capped at 168)")] = 24,
) -> ClientSummaryOut:
    """Entry counts per client and level over the last `hours`, with hostname/description."""
    hours = min(hours, 168)
    since = context.clock.now() - timedelta(hours=hours)
    counts = await asyncio.to_thread(context.clients.level_counts, since)
    infos = {i.id: i for i in await asyncio.to_thread(context.clients.all)}
    items = [
        ClientSummaryItem(
            client_id=client_id,
            hostname=info.hostname,
            description=info.description,
            counts=counts_out(counts.get(client_id, {})),
        )
        for client_id, info in infos.items()
    ]
    return ClientSummaryOut(hours=hours, since_at=since, clients=items)


@router.get("/clients/recent-errors", response_model=list[LogEntryOut], summary="Recent errors")
async def recent_errors(
    context: ContextDep,
    _: Admin,
    limit: Annotated[int, Query(ge=1, description="entries (default 20, capped at 100)")] = 20,
) -> list[LogEntryOut]:
    """The newest ERROR entries across all clients, with each client's hostname/description."""
    entries = await asyncio.to_thread(context.clients.recent_errors, min(limit, 100))
    infos: dict[str, ClientInfo] = {i.id: i for i in await asyncio.to_thread(context.clients.all)}
    return [entry_out(e, infos.get(e.client_id)) for e in entries]


@router.get("/clients/ingest-status", response_model=IngestStatusOut, summary="Ingest check")
async def ingest_status(context: ContextDep, _: Viewer) -> IngestStatusOut:
    """Whether pushed logs arrive: counts only, never log contents."""
    now = context.clock.now()
    since = now - timedelta(seconds=RECENT_SECS)
    infos = await asyncio.to_thread(context.clients.all)
    counts = await asyncio.to_thread(context.clients.level_counts, since)
    recent = sum(sum(c.values()) for c in counts.values())
    grace = context.settings.clients.heartbeat_grace_secs
    online = sum(is_alive(i, now, grace) for i in infos)
    return IngestStatusOut(
        clients=len(infos), online=online, entries_last_5_min=recent, is_ingest_working=recent > 0
    )


# ---- one client -------------------------------------------------------------------------------
@router.get(
    "/clients/{client_id}", response_model=ClientOut, responses=_UNKNOWN, summary="One client"
)
async def get_client(context: ContextDep, _: Admin, client_id: ClientId) -> ClientOut:
    """A client with its liveness and status."""
    return await _one(context, client_id)


@router.put("/clients/{client_id}", response_model=ClientOut, summary="Register a client")
async def put_client(
    context: ContextDep, _: Admin, client_id: ClientId, body: ClientIn
) -> ClientOut:
    """Register a client or replace its description (hostname, group, is_active…)."""
    info = ClientInfo(
        id=client_id, hostname=body.hostname, description=body.description, ip=body.ip,
        model=body.model, group=body.group, is_active=body.is_active, metadata=body.metadata,
    )  # fmt: skip
    await asyncio.to_thread(context.clients.upsert, info, context.clock.now())
    context.forget_credentials()  # is_active may have changed
    return await _one(context, client_id)


@router.delete(
    "/clients/{client_id}", status_code=204, responses=_UNKNOWN, summary="Delete a client"
)
async def delete_client(context: ContextDep, _: Admin, client_id: ClientId) -> None:
    """Delete a client, its key and its stored entries (its findings stay)."""
    if not await delete_fleet_client(context, client_id):
        raise HTTPException(404, f"no client {client_id!r}")


async def delete_fleet_client(context: ApiContext, client_id: str) -> bool:
    """Delete a client, its ingest key and its stored entries; its findings stay.

    Shared by the API and the dashboard's Clients pages. Cached credentials are dropped, so the
    deleted key is refused at once. Returns False (nothing changed) for an unknown client.
    """
    if not await asyncio.to_thread(context.clients.delete, client_id):
        return False
    context.forget_credentials()
    return True


@router.post(
    "/clients/{client_id}/key",
    response_model=ClientKeyOut,
    status_code=201,
    summary="New ingest key",
)
async def rotate_key(context: ContextDep, _: Admin, client_id: ClientId) -> ClientKeyOut:
    """Give the client (registered now if new) a fresh ingest key; the old one stops working."""
    return ClientKeyOut(client_id=client_id, ingest_key=await new_ingest_key(context, client_id))


async def new_ingest_key(context: ApiContext, client_id: str) -> str:
    """Give a client (registered now if new) a fresh ingest key and return it.

    Shared by the API and the dashboard's Clients pages. Only the key's sha256 is stored, so
    the returned key can be shown once and never again; cached credentials are dropped, so the
    previous key is refused at once. The caller must not log the key or put it in a URL.
    """
    key = await asyncio.to_thread(context.clients.rotate_key, client_id, context.clock.now())
    context.forget_credentials()
    return key


@router.get(
    "/clients/{client_id}/logs",
    response_model=list[LogEntryOut],
    responses={**_UNKNOWN, 400: {"description": "bad level or since"}},
    summary="A client's logs",
)
async def client_logs(
    context: ContextDep,
    _: Admin,
    client_id: ClientId,
    level: Annotated[str | None, Query(description="ERROR, WARN, INFO or DEBUG")] = None,
    since: Annotated[str | None, Query(description="ISO 8601; naive means UTC")] = None,
    limit: Annotated[int, Query(ge=1, description="entries (default 50, capped at 500)")] = 50,
) -> list[LogEntryOut]:
    """A client's entries, newest first."""
    wanted = None
    if level is not None:
        try:
            wanted = parse_level(level, aliases=False)
        except ValueError as error:
            raise HTTPException(400, f"level: {error}") from None
    start = _since(since)
    info = await asyncio.to_thread(context.clients.get, client_id)
    if info is None:
        raise HTTPException(404, f"no client {client_id!r}")
    entries = await asyncio.to_thread(
        context.clients.entries, client_id, wanted, start, min(limit, 500)
    )
    return [entry_out(e) for e in entries]
