"""API routes: notification triggers — CRUD (partial updates), test message, deliveries.

Reads need viewer, changes and tests admin. Secrets are never returned (`SECRET_PLACEHOLDER`);
the placeholder sent back keeps the stored value. Under `serve` the dispatcher picks up a
change with the next finding event. `POST /triggers/{id}/test` sends the real payload shape
once, through the egress guard, and returns the recorded delivery.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any, NoReturn

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from loghealth.alerts import FindingNotice, compile_message_regex
from loghealth.alerts.apprise import hosts_to_vet, is_apprise_available, is_valid_url, preview
from loghealth.alerts.webhook import RESERVED_HEADERS
from loghealth.api.deps import ApiContext, ContextDep, Principal, Responses, RowId, require
from loghealth.api.schemas import (
    SECRET_PLACEHOLDER,
    AppriseIn,
    AppriseOut,
    DeliveryOut,
    TriggerFiltersOut,
    TriggerIn,
    TriggerOut,
    TriggerPatchIn,
    TriggerTestIn,
    WebhookIn,
    WebhookOut,
)
from loghealth.runtime.dispatch import trigger_rule
from loghealth.runtime.notify import dashboard_base, example_finding, finding_notice, send_test
from loghealth.store.tokens import Role
from loghealth.store.triggers import DeliveryStatus, StoredDelivery, StoredTrigger, TriggerStore

__all__ = ["router"]

router = APIRouter(tags=["triggers"])
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Limit = Annotated[int, Query(ge=1, le=500, description="most deliveries returned")]
StatusQuery = Annotated[DeliveryStatus | None, Query(description="only deliveries in this status")]
_UNKNOWN: Responses = {404: {"description": "no such trigger"}}
_INVALID: Responses = {422: {"description": "invalid trigger (the path is in `errors`)"}}
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}")
_FINDINGS_SEARCHED = 200


def _store(context: ApiContext) -> TriggerStore:
    return TriggerStore(context.store.engine)


def _invalid(path: tuple[str | int, ...], message: str, kind: str = "value_error") -> NoReturn:
    raise RequestValidationError([{"loc": ("body", *path), "msg": message, "type": kind}])


# ---- shapes -----------------------------------------------------------------------------------
def _notifier_out(data: dict[str, Any]) -> WebhookOut | AppriseOut:
    if data.get("type") == "apprise":
        urls = [str(url) for url in data.get("urls", [])]
        masked = [SECRET_PLACEHOLDER] * len(urls)
        return AppriseOut(type="apprise", urls=masked, previews=[preview(url) for url in urls])
    headers = {str(name): SECRET_PLACEHOLDER for name in data.get("headers", {})}
    secret = SECRET_PLACEHOLDER if data.get("secret") else None
    return WebhookOut(type="webhook", url=str(data.get("url", "")), secret=secret, headers=headers)


def _trigger_out(trigger: StoredTrigger) -> TriggerOut:
    filters = trigger.filters
    return TriggerOut(
        id=trigger.id, name=trigger.name, enabled=trigger.enabled,
        filters=TriggerFiltersOut(
            severities=filters.get("severities", []), categories=filters.get("categories", []),
            areas=filters.get("areas", []), sources=filters.get("sources", []),
            signature_ids=filters.get("signature_ids", []),
            message_regex=filters.get("message_regex"),
        ),
        events=trigger.events, notifier=_notifier_out(trigger.notifier),
        min_interval_secs=trigger.min_interval_secs, max_interval_secs=trigger.max_interval_secs,
        group_window_secs=trigger.group_window_secs, is_failing=trigger.is_failing,
        consecutive_failures=trigger.consecutive_failures, last_error=trigger.last_error,
        last_failure_at=trigger.last_failure_at, last_success_at=trigger.last_success_at,
        created_at=trigger.created_at, updated_at=trigger.updated_at,
    )  # fmt: skip


def _delivery_out(delivery: StoredDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id, trigger_id=delivery.trigger_id, event=delivery.event,
        finding_ids=delivery.finding_ids, status=delivery.status.value, attempts=delivery.attempts,
        last_error=delivery.last_error, status_code=delivery.status_code,
        is_test=delivery.is_test, created_at=delivery.created_at, updated_at=delivery.updated_at,
        delivered_at=delivery.delivered_at,
    )  # fmt: skip


# ---- validation and secrets -------------------------------------------------------------------
def _kept(value: str | None, stored: str | None, path: tuple[str | int, ...]) -> str | None:
    """`value`, or the stored secret when `value` is the placeholder (422 if none is stored)."""
    if value != SECRET_PLACEHOLDER:
        return value
    if stored is None:
        _invalid(path, "the placeholder stands for a stored secret, and there is none here")
    return stored


def _webhook(sent: WebhookIn, stored: dict[str, Any]) -> dict[str, Any]:
    try:
        url = httpx.URL(sent.url)
    except httpx.InvalidURL as error:
        _invalid(("notifier", "url"), f"not a valid URL: {error}")
    if url.userinfo:
        _invalid(("notifier", "url"), "no credentials in the URL: use `headers` or `secret`")
    if not url.host:
        _invalid(("notifier", "url"), "the URL has no host")
    secret = stored.get("secret") if "secret" not in sent.model_fields_set else sent.secret
    secret = _kept(secret, stored.get("secret"), ("notifier", "secret"))
    stored_headers: dict[str, str] = stored.get("headers", {})
    headers = stored_headers if sent.headers is None else {}
    for name, value in (sent.headers or {}).items():
        path = ("notifier", "headers", name)
        lower = name.lower()
        if (
            not _HEADER_NAME.fullmatch(name)
            or lower in RESERVED_HEADERS
            or lower.startswith("x-loghealth-")
        ):
            _invalid(path, "not a header name a trigger may set")
        headers[name] = _kept(value, stored_headers.get(name), path) or ""
    return {"type": "webhook", "url": sent.url, "secret": secret, "headers": headers}


def _apprise(sent: AppriseIn, stored: dict[str, Any]) -> dict[str, Any]:
    if not is_apprise_available():
        _invalid(("notifier", "type"), "Apprise is not installed: pip install 'loghealth[notify]'")
    before: list[str] = stored.get("urls", [])
    urls = []
    for index, url in enumerate(sent.urls):
        path = ("notifier", "urls", index)
        url = _kept(url, before[index] if index < len(before) else None, path) or ""
        try:
            hosts_to_vet(url)
        except ValueError as error:
            _invalid(path, str(error))
        if "redirect=" in url.lower():
            _invalid(path, "`redirect` is not allowed: redirects are never followed")
        if not is_valid_url(url):
            _invalid(path, f"{preview(url)} is not a valid Apprise URL")
        urls.append(url)
    return {"type": "apprise", "urls": urls}


def _notifier(sent: WebhookIn | AppriseIn, stored: dict[str, Any] | None) -> dict[str, Any]:
    """Build the notifier to store from `sent`.

    Placeholders and left-out secrets are taken from `stored` when it has the same type.
    """
    same = stored if stored is not None and stored.get("type") == sent.type else {}
    return _webhook(sent, same) if isinstance(sent, WebhookIn) else _apprise(sent, same)


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    """Compile the message regex and compare the intervals of a whole trigger (422 if bad)."""
    pattern = fields["filters"].get("message_regex")
    if pattern:
        try:
            compile_message_regex(pattern)
        except Exception as error:  # regex.error: the message says where
            _invalid(("filters", "message_regex"), f"does not compile: {error}", "regex_error")
    if fields["min_interval_secs"] > fields["max_interval_secs"]:
        _invalid(("max_interval_secs",), "must be at least min_interval_secs")
    return fields


# ---- CRUD -------------------------------------------------------------------------------------
async def _get(context: ApiContext, trigger_id: int) -> StoredTrigger:
    trigger = await asyncio.to_thread(_store(context).get, trigger_id)
    if trigger is None:
        raise HTTPException(404, f"no trigger {trigger_id}")
    return trigger


@router.get("/triggers", response_model=list[TriggerOut], summary="List triggers")
async def list_triggers(context: ContextDep, _: Viewer) -> list[TriggerOut]:
    """Every trigger by id, with its delivery health (secrets masked)."""
    return [_trigger_out(t) for t in await asyncio.to_thread(_store(context).list)]


@router.post("/triggers", response_model=TriggerOut, status_code=201, responses=_INVALID,
             summary="Create a trigger")  # fmt: skip
async def create_trigger(context: ContextDep, _: Admin, body: TriggerIn) -> TriggerOut:
    """Store a trigger (the regex compiled, secrets kept, placeholders refused)."""
    fields = body.model_dump(exclude={"notifier"})
    fields["notifier"] = _notifier(body.notifier, None)
    trigger = await asyncio.to_thread(_store(context).create, _checked(fields), context.clock.now())
    return _trigger_out(trigger)


@router.get("/triggers/{trigger_id}", response_model=TriggerOut, responses=_UNKNOWN,
            summary="One trigger")  # fmt: skip
async def get_trigger(context: ContextDep, _: Viewer, trigger_id: RowId) -> TriggerOut:
    """One trigger (secrets masked)."""
    return _trigger_out(await _get(context, trigger_id))


@router.patch("/triggers/{trigger_id}", response_model=TriggerOut,
              responses={**_UNKNOWN, **_INVALID}, summary="Change a trigger")  # fmt: skip
async def patch_trigger(
    context: ContextDep, _: Admin, trigger_id: RowId, body: TriggerPatchIn
) -> TriggerOut:
    """Change the fields sent; the result is validated as a whole."""
    trigger = await _get(context, trigger_id)
    sent = body.model_dump(exclude_unset=True, exclude={"notifier", "filters"})
    for name, value in sent.items():
        if value is None:
            _invalid((name,), "may not be null: leave the field out to keep it")
    fields: dict[str, Any] = {
        "filters": trigger.filters, "min_interval_secs": trigger.min_interval_secs,
        "max_interval_secs": trigger.max_interval_secs, **sent,
    }  # fmt: skip
    if body.filters is not None:
        fields["filters"] = {**trigger.filters, **body.filters.model_dump(exclude_unset=True)}
    if body.notifier is not None:
        fields["notifier"] = _notifier(body.notifier, trigger.notifier)
    updated = await asyncio.to_thread(
        _store(context).update, trigger_id, _checked(fields), context.clock.now()
    )
    return _trigger_out(updated)


@router.delete("/triggers/{trigger_id}", status_code=204, responses=_UNKNOWN,
               summary="Delete a trigger")  # fmt: skip
async def delete_trigger(context: ContextDep, _: Admin, trigger_id: RowId) -> None:
    """Delete a trigger with its deliveries."""
    if not await asyncio.to_thread(_store(context).delete, trigger_id):
        raise HTTPException(404, f"no trigger {trigger_id}")


# ---- test and deliveries ----------------------------------------------------------------------
def _test_notice(
    context: ApiContext, trigger: StoredTrigger, finding_id: int | None
) -> FindingNotice:
    catalog, base = context.catalog, dashboard_base(context.settings)
    if finding_id is not None:
        stored = context.store.finding(finding_id)
        if stored is None:
            raise HTTPException(404, f"no finding {finding_id}")
        return finding_notice(stored, catalog, base)
    filters = trigger_rule(trigger).filters
    for stored in context.store.findings(limit=_FINDINGS_SEARCHED):
        notice = finding_notice(stored, catalog, base)
        if filters.matches(notice):
            return notice
    return finding_notice(example_finding(context.clock.now()), catalog, base)


@router.post("/triggers/{trigger_id}/test", response_model=DeliveryOut,
             responses={**_UNKNOWN, 409: {"description": "the stored notifier is invalid"}},
             summary="Send a test message")  # fmt: skip
async def test_trigger(
    context: ContextDep, _: Admin, trigger_id: RowId, body: TriggerTestIn | None = None
) -> DeliveryOut:
    """Send one message of the real payload shape (`is_test` true) and return the delivery.

    The delivery's `status` is `delivered` or `failed` (with `last_error`: refused by the
    egress guard, a redirect, an HTTP error…); a test does not mark the trigger failing.
    """
    trigger = await _get(context, trigger_id)
    finding_id = body.finding_id if body is not None else None
    notice = await asyncio.to_thread(_test_notice, context, trigger, finding_id)
    try:
        store, settings = _store(context), context.settings
        delivery = await send_test(store, trigger, notice, settings, context.clock)
    except ValidationError:
        raise HTTPException(409, "the stored notifier is invalid; PATCH a new one") from None
    except LookupError:
        raise HTTPException(404, f"no trigger {trigger_id}") from None
    return _delivery_out(delivery)


@router.get("/triggers/{trigger_id}/deliveries", response_model=list[DeliveryOut],
            responses=_UNKNOWN, summary="Deliveries of a trigger")  # fmt: skip
async def trigger_deliveries(
    context: ContextDep, _: Viewer, trigger_id: RowId, limit: Limit = 100,
    status: StatusQuery = None,
) -> list[DeliveryOut]:  # fmt: skip
    """The trigger's deliveries, newest first (the newest 500 are kept)."""
    await _get(context, trigger_id)
    found = await asyncio.to_thread(_store(context).deliveries, trigger_id, limit, status)
    return [_delivery_out(delivery) for delivery in found]


@router.get("/deliveries", response_model=list[DeliveryOut], summary="Recent deliveries")
async def deliveries(
    context: ContextDep, _: Viewer, limit: Limit = 100, status: StatusQuery = None
) -> list[DeliveryOut]:
    """Deliveries of every trigger, newest first (e.g. `?status=failed`)."""
    found = await asyncio.to_thread(_store(context).deliveries, None, limit, status)
    return [_delivery_out(delivery) for delivery in found]
