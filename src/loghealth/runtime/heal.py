"""Runtime: remediation under `loghealth serve` — finding events in, auto-heal actions out.

A `serve` service: it subscribes to the pipeline's event bus (a bounded queue: when actions
cannot keep up, the oldest events are dropped and counted by the bus, the engine never waits),
looks up the action of each event's signature (`remediation.auto_heal` in the config, else the
signature's or rule's `auto_heal`) and hands it to the `Remediator`, which decides, runs in the
background and audits (`store.remediation`). It asks the pipeline's `remediation_pause` (shared
with the API, read from the store at start) before each run, and prunes the audit at start and
then every `PRUNE_EVERY_SECS`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from loghealth.clock import Clock
from loghealth.engine import Redactor
from loghealth.remediation import ActionContext, Remediator, action_secrets, build_actions
from loghealth.rules.loader import Catalog
from loghealth.runtime.bus import next_event
from loghealth.runtime.pipeline import Pipeline
from loghealth.settings import RemediationSettings, Settings
from loghealth.store.remediation import RemediationStore
from loghealth.store.repository import FindingEvent, StoredFinding

__all__ = [
    "PRUNE_EVERY_SECS",
    "SHUTDOWN_GRACE_SECS",
    "action_for",
    "build_remediator",
    "egress_allow",
    "heal_context",
    "heal_service",
    "prune_audit",
    "remediation_problems",
    "run_remediation",
]

SHUTDOWN_GRACE_SECS = 5.0
"""How long running actions may go on after `serve` is asked to stop (then they are killed)."""

PRUNE_EVERY_SECS = 3600
"""How often (on the clock, checked when an event arrives) the audit's retention is applied."""

_log = logging.getLogger(__name__)


def egress_allow(settings: Settings) -> list[str]:
    """The egress guard's allow-list (`egress.allow`): hosts/CIDRs http actions may reach."""
    return list(settings.egress.allow)


def remediation_problems(catalog: Catalog, settings: RemediationSettings) -> list[str]:
    """What is wrong between the catalog and `remediation` (reported when `serve` starts).

    A signature or rule whose `auto_heal` names no configured action, and a
    `remediation.auto_heal` entry for a signature the catalog does not have.
    """
    problems = []
    for signature in catalog.signatures:
        name = signature.spec.auto_heal
        if name is not None and name not in settings.actions:
            problems.append(
                f"signature {signature.id}: auto_heal {name!r} is not an action of "
                "remediation.actions (it will be audited as unknown_action)"
            )
    for signature_id in settings.auto_heal:
        if catalog.get(signature_id) is None:
            problems.append(f"remediation.auto_heal: no signature or rule {signature_id!r}")
    return problems


def action_for(
    pipeline: Pipeline, settings: RemediationSettings, finding: StoredFinding
) -> str | None:
    """The action name for a finding: the config's mapping, else its signature's `auto_heal`.

    The signature is looked up in the engine that matched the finding's source (a source with
    rules of its own has its own engine).
    """
    signature_id = finding.finding.signature_id
    mapped = settings.auto_heal.get(signature_id)
    if mapped is not None:
        return mapped
    engine = pipeline.source_engines.get(finding.finding.source, pipeline.engine)
    signature = engine.catalog.get(signature_id)
    return signature.spec.auto_heal if signature is not None else None


def heal_context(
    pipeline: Pipeline, settings: RemediationSettings, event: FindingEvent
) -> ActionContext | None:
    """What to run for a bus event.

    None when the event's kind is not in `remediation.events` or the signature names no action.
    """
    if str(event.kind) not in settings.events:
        return None
    name = action_for(pipeline, settings, event.finding)
    if name is None:
        return None
    finding = event.finding.finding
    return ActionContext(
        action=name,
        event=str(event.kind),
        finding_id=event.finding.id,
        signature_id=finding.signature_id,
        source_id=finding.source,
        severity=finding.severity.label,
    )


def build_remediator(
    settings: Settings,
    store_engine: Engine,
    clock: Clock,
    catalog: Catalog | None = None,
    is_paused: Callable[[], bool] = lambda: False,
) -> Remediator:
    """A `Remediator` over the configured actions, auditing into the store of `store_engine`.

    Output is redacted like finding samples (`redact` strings, the packs' patterns) and also
    hides every action secret (environment and header values). `is_paused` is asked before
    each automatic run (`PauseSwitch.is_paused`; the API's manual runs are not paused).
    """
    remediation = settings.remediation
    redactor = Redactor(
        [*settings.redact, *action_secrets(remediation)],
        catalog.redact_patterns() if catalog is not None else (),
    )
    actions = build_actions(remediation, egress_allow(settings))
    return Remediator(
        remediation,
        actions,
        RemediationStore(store_engine),
        clock,
        redactor.redact,
        is_paused=is_paused,
    )


def prune_audit(store: RemediationStore, settings: RemediationSettings, now: datetime) -> int:
    """Apply the audit's retention (`audit_retention_days`, `audit_max_runs`) as of `now`.

    Returns how many runs were deleted; never raises (a failure is logged: the next prune
    tries again).
    """
    before = now - timedelta(days=settings.audit_retention_days)
    try:
        return store.prune(before=before, keep_count=settings.audit_max_runs)
    except Exception:
        _log.exception("remediation: the audit could not be pruned")
        return 0


async def run_remediation(
    pipeline: Pipeline,
    settings: Settings,
    clock: Clock,
    stop: asyncio.Event,
    grace_secs: float = SHUTDOWN_GRACE_SECS,
) -> None:
    """Fire auto-heal actions for the pipeline's finding events until `stop` is set.

    The pause is read from the store first (a restart keeps an admin's pause), then asked from
    memory before each run. The audit is pruned at start and every `PRUNE_EVERY_SECS` after.
    On stop, runs still going get `grace_secs`, then are killed (audited as `error`). The
    configuration's problems (`remediation_problems`) are for the caller to report.
    """
    remediation = settings.remediation
    queue = pipeline.bus.subscribe(maxsize=remediation.queue_size)
    pause = pipeline.remediation_pause
    remediator = build_remediator(
        settings, pipeline.store.engine, clock, pipeline.engine.catalog, pause.is_paused
    )
    audit, pruned_at = RemediationStore(pipeline.store.engine), clock.now()
    try:
        try:
            await asyncio.to_thread(pause.load)
        except Exception:  # each decision reads it again; none runs until it can be read
            _log.exception("remediation: the pause state could not be read")
        await asyncio.to_thread(prune_audit, audit, remediation, pruned_at)
        while (event := await next_event(queue, stop)) is not None:
            if clock.now() - pruned_at >= timedelta(seconds=PRUNE_EVERY_SECS):
                pruned_at = clock.now()
                await asyncio.to_thread(prune_audit, audit, remediation, pruned_at)
            context = heal_context(pipeline, remediation, event)
            if context is not None:
                await remediator.submit(context)
    finally:
        pipeline.bus.unsubscribe(queue)
        await remediator.aclose(grace_secs)


def heal_service(
    settings: Settings, clock: Clock
) -> Callable[[Pipeline, object, asyncio.Event], Coroutine[Any, Any, None]]:
    """A `run_serve` service running `run_remediation` beside the pipeline."""

    async def service(pipeline: Pipeline, _sources: object, stop: asyncio.Event) -> None:
        await run_remediation(pipeline, settings, clock, stop)

    return service
