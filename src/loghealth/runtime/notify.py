"""Runtime: notifications under `loghealth serve` — the dispatcher as a serve service.

Also what the API needs to show and test triggers with the same payload as real deliveries:
`finding_notice` (texts from the catalog, links from `notifications.dashboard_url`) and
`send_test` (one attempt, recorded as a test delivery).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from loghealth.alerts import (
    DeliveryError,
    FindingNotice,
    Notification,
    build_notifier,
    parse_notifier,
)
from loghealth.clock import Clock
from loghealth.egress import EgressPolicy
from loghealth.engine.lifecycle import EventKind
from loghealth.model import Area, Category, Finding, FindingState, Severity
from loghealth.rules.loader import Catalog
from loghealth.runtime.dispatch import NotificationDispatcher
from loghealth.runtime.pipeline import Pipeline
from loghealth.settings import Settings
from loghealth.store.repository import StoredFinding
from loghealth.store.triggers import StoredDelivery, StoredTrigger, TriggerStore

__all__ = [
    "dashboard_base",
    "egress_policy",
    "example_finding",
    "finding_notice",
    "notify_service",
    "send_test",
]


def egress_policy(settings: Settings) -> EgressPolicy:
    """The egress guard's policy from `egress.allow` (system resolver)."""
    return EgressPolicy(settings.egress.allow)


def dashboard_base(settings: Settings) -> str | None:
    """Base URL of dashboard links: `notifications.dashboard_url`, else `http://<listen>`.

    A wildcard listen address (`0.0.0.0`, `::`) becomes `localhost`; None when the API is off.
    Set `notifications.dashboard_url` when receivers reach the server under another name.
    """
    if settings.notifications.dashboard_url:
        return settings.notifications.dashboard_url.rstrip("/")
    listen = settings.listen.strip()
    if listen.lower() in ("", "off"):
        return None
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - a listen address, not a bind
        host = "localhost"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def finding_notice(
    stored: StoredFinding, catalog: Catalog, dashboard_url: str | None
) -> FindingNotice:
    """Describe a stored finding for messages.

    Name, cause and fix are the catalog's English texts; links are the signature's docs URL
    and `<dashboard_url>/findings/<id>` (None without a dashboard URL).
    """
    finding = stored.finding
    text = catalog.text(finding.signature_id)
    signature = catalog.get(finding.signature_id)
    return FindingNotice(
        id=stored.id, signature_id=finding.signature_id, pack=finding.pack, name=text.name,
        cause=text.cause, fix=text.fix, severity=finding.severity,
        category=str(finding.category), area=str(finding.area), source_id=finding.source,
        state=str(stored.state), count=finding.count, first_seen_at=finding.first_seen,
        last_seen_at=finding.last_seen, sample=finding.sample, sample_line=finding.sample_line,
        docs_url=signature.docs_url if signature is not None else None,
        dashboard_url=f"{dashboard_url}/findings/{stored.id}" if dashboard_url else None,
    )  # fmt: skip


def example_finding(now: datetime) -> StoredFinding:
    """A made-up finding (id 0) for a test message when no stored finding fits the trigger."""
    finding = Finding(
        signature_id="loghealth-test", pack="test", severity=Severity.ERROR,
        category=Category.ENVIRONMENT, area=Area.NETWORK, source="test", count=1,
        first_seen=now, last_seen=now,
        sample="this is a test notification from loghealth", sample_line=1,
    )  # fmt: skip
    return StoredFinding(0, "", finding, FindingState.OPEN, None, now, now, "")


async def send_test(
    store: TriggerStore,
    trigger: StoredTrigger,
    notice: FindingNotice,
    settings: Settings,
    clock: Clock,
    policy: EgressPolicy | None = None,
) -> StoredDelivery:
    """Send one test message (`is_test`: true, event `opened`) once; record and return it.

    A test delivery does not change the trigger's failure count.

    Raises:
        pydantic.ValidationError: the stored notifier configuration is invalid.
    """
    config = parse_notifier(trigger.notifier)
    now = clock.now()
    delivery_id = await asyncio.to_thread(
        store.start_delivery, trigger.id, str(EventKind.OPENED), [notice.id], now, is_test=True
    )
    notification = Notification(
        EventKind.OPENED, trigger.id, trigger.name, (notice,), now, is_test=True,
        delivery_id=delivery_id,
    )  # fmt: skip
    notifier = build_notifier(
        config, policy or egress_policy(settings), clock,
        timeout_secs=settings.notifications.timeout_secs,
    )  # fmt: skip
    error: str | None = None
    status: int | None = None
    try:
        status = await notifier.send(notification)
    except DeliveryError as failure:
        error, status = str(failure), failure.status_code
    finally:
        await notifier.aclose()
    delivery = await asyncio.to_thread(
        store.finish_delivery, delivery_id, is_delivered=error is None, attempts=1,
        error=error, status_code=status, now=clock.now(),
        failing_after=settings.notifications.failing_after,
    )  # fmt: skip
    if delivery is None:
        raise LookupError(f"trigger {trigger.id} was deleted during the test")
    return delivery


def notify_service(
    settings: Settings, clock: Clock, policy: EgressPolicy | None = None
) -> Callable[[Pipeline, Any, asyncio.Event], Coroutine[Any, Any, None]]:
    """A `run_serve` service: the notification dispatcher on the pipeline's event bus.

    Texts come from the engine that matched the finding's source (rules of its own included).
    """
    base = dashboard_base(settings)

    async def service(pipeline: Pipeline, _sources: Any, stop: asyncio.Event) -> None:
        def notice(stored: StoredFinding) -> FindingNotice:
            engine = pipeline.source_engines.get(stored.finding.source, pipeline.engine)
            return finding_notice(stored, engine.catalog, base)

        queue = pipeline.bus.subscribe(settings.notifications.queue_size)
        dispatcher = NotificationDispatcher(
            TriggerStore(pipeline.store.engine), settings.notifications,
            policy or egress_policy(settings), clock, notice,
        )  # fmt: skip
        try:
            await dispatcher.run(queue, stop)
        finally:
            pipeline.bus.unsubscribe(queue)

    return service
