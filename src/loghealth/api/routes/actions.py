"""API routes: remediation actions — the configured set, the run audit, a manual run, the pause.

Actions are defined in the server's config only; the API shows them (admin: they name hosts,
programs and containers; secrets masked), lists the audit (viewer: output is redacted and
capped) and lets an admin run one for a finding. A manual run respects the kill switch and dry
run, not the cooldown nor the pause (a person asked), and is audited with the caller as
`actor`. An admin pauses and resumes automatic runs at runtime (`PUT /actions/pause`): kept in
the store, so a restart does not resume them.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from sqlalchemy.exc import SQLAlchemyError

from loghealth.api.deps import ApiContext, ContextDep, Principal, Responses, RowId, require
from loghealth.api.schemas import (
    ActionOut,
    ActionRunOut,
    ActionRunPageOut,
    ActionsOut,
    PauseIn,
    PauseOut,
)
from loghealth.remediation import ActionContext, RunStatus, build_actions
from loghealth.runtime.heal import build_remediator, egress_allow, remediation_problems
from loghealth.settings import ACTION_NAME_PATTERN
from loghealth.store.remediation import PauseState, RemediationStore, RunFilter, StoredRun
from loghealth.store.tokens import Role

__all__ = ["router"]

router = APIRouter(tags=["actions"])
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
ActionName = Annotated[
    str, Path(pattern=ACTION_NAME_PATTERN, max_length=64, description="a configured action")
]
ActionType = Literal["command", "http", "container_restart"]
_RUN_ERRORS: Responses = {
    404: {"description": "no such action or finding"},
    409: {"description": "remediation is disabled (the decision is audited)"},
    503: {"description": "the audit could not be written"},
}


def _runs(context: ApiContext) -> RemediationStore:
    return RemediationStore(context.store.engine)


def _run_out(run: StoredRun) -> ActionRunOut:
    return ActionRunOut(
        id=run.id, action=run.action, action_type=run.action_type, finding_id=run.finding_id,
        signature_id=run.signature_id, source_id=run.source_id, event=run.event,
        actor=run.actor, status=RunStatus(run.status), started_at=run.started_at,
        finished_at=run.finished_at, duration_ms=run.duration_ms, exit_code=run.exit_code,
        output=run.output, error=run.error,
    )  # fmt: skip


def _pause_out(state: PauseState) -> PauseOut:
    return PauseOut(
        is_paused=state.is_paused, reason=state.reason, actor=state.actor,
        changed_at=state.changed_at,
    )  # fmt: skip


def _fired_by(context: ApiContext) -> dict[str, list[str]]:
    """Action name -> ids of the live catalog's signatures whose auto-heal it is."""
    mapping = context.settings.remediation.auto_heal
    fired: dict[str, list[str]] = {}
    for signature in context.catalog.signatures:
        name = mapping.get(signature.id, signature.spec.auto_heal)
        if name is not None:
            fired.setdefault(name, []).append(signature.id)
    return fired


@router.get("/actions", response_model=ActionsOut, summary="Configured remediation actions")
async def list_actions(context: ContextDep, _: Admin) -> ActionsOut:
    """The kill switch, dry run, pause, firing events, every action (secrets masked), problems."""
    remediation = context.settings.remediation
    actions = build_actions(remediation, egress_allow(context.settings))
    catalog = await asyncio.to_thread(lambda: context.catalog)
    pause = await asyncio.to_thread(context.remediation_pause.load)
    fired = _fired_by(context)
    return ActionsOut(
        is_enabled=remediation.enabled,
        is_dry_run=remediation.dry_run,
        pause=_pause_out(pause),
        events=list(remediation.events),
        actions=[
            ActionOut(
                name=name,
                type=cast(ActionType, action.type),
                cooldown_secs=action.cooldown_secs,
                settings=action.describe(),
                signatures=sorted(fired.get(name, [])),
            )
            for name, action in actions.items()
        ],
        problems=remediation_problems(catalog, remediation),
    )


@router.get("/actions/pause", response_model=PauseOut, summary="Is automatic remediation paused")
async def get_pause(context: ContextDep, _: Admin) -> PauseOut:
    """Whether automatic runs are paused, by whom, since when and why (read from the store)."""
    return _pause_out(await asyncio.to_thread(context.remediation_pause.load))


@router.put(
    "/actions/pause",
    response_model=PauseOut,
    responses={503: {"description": "the pause could not be stored (nothing changed)"}},
    summary="Pause or resume automatic remediation",
)
async def set_pause(context: ContextDep, principal: Admin, body: PauseIn) -> PauseOut:
    """Pause (or resume) automatic runs now; kept in the store, so a restart keeps it.

    While paused, automatic decisions are audited as `skipped_paused`; an admin's manual run
    (`POST /actions/{name}/run`) still runs. Setting the state it already has changes nothing
    (`actor`, `changed_at` and `reason` stay those of the flip that made it).
    """
    switch = context.remediation_pause
    try:
        current = await asyncio.to_thread(switch.load)
        if current.is_paused == body.is_paused:
            return _pause_out(current)
        flip = partial(
            switch.set, body.is_paused, reason=body.reason, actor=principal.actor,
            changed_at=context.clock.now(),
        )  # fmt: skip
        return _pause_out(await asyncio.to_thread(flip))
    except SQLAlchemyError as error:
        raise HTTPException(503, "the pause could not be stored; nothing changed") from error


@router.get("/actions/runs", response_model=ActionRunPageOut, summary="Remediation audit")
async def list_runs(
    context: ContextDep,
    _: Viewer,
    finding_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    action: Annotated[str | None, Query(pattern=ACTION_NAME_PATTERN, max_length=64)] = None,
    status: Annotated[list[RunStatus] | None, Query(description="any of these")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ActionRunPageOut:
    """Audited decisions (runs, dry runs, skips) matching every given filter, newest first."""
    spec = RunFilter(finding_id, action, [str(s) for s in status or ()])
    items, total = await asyncio.to_thread(_runs(context).page, spec, limit, offset)
    return ActionRunPageOut(
        items=[_run_out(run) for run in items], total=total, limit=limit, offset=offset
    )


@router.get(
    "/actions/runs/{run_id}",
    response_model=ActionRunOut,
    responses={404: {"description": "no such run"}},
    summary="One audited run",
)
async def get_run(context: ContextDep, _: Viewer, run_id: RowId) -> ActionRunOut:
    """One audited decision by id."""
    run = await asyncio.to_thread(_runs(context).get, run_id)
    if run is None:
        raise HTTPException(404, f"no remediation run {run_id}")
    return _run_out(run)


@router.post(
    "/actions/{name}/run",
    response_model=ActionRunOut,
    responses=_RUN_ERRORS,
    summary="Run an action for a finding",
)
async def run_action(
    context: ContextDep,
    principal: Admin,
    name: ActionName,
    finding_id: Annotated[int, Query(ge=1, le=2_147_483_647, description="the finding")],
) -> ActionRunOut:
    """Run a configured action for a finding now and answer when it has ended.

    The kill switch off gives 409 (the decision is audited); in dry-run mode the answer is the
    `dry_run` record of what would have run. The cooldown does not apply, but this run counts
    for the next automatic one.
    """
    if name not in context.settings.remediation.actions:
        raise HTTPException(404, f"no action {name!r} in remediation.actions")
    stored = await asyncio.to_thread(context.store.finding, finding_id)
    if stored is None:
        raise HTTPException(404, f"no finding {finding_id}")
    finding = stored.finding
    catalog = await asyncio.to_thread(lambda: context.catalog)
    remediator = build_remediator(context.settings, context.store.engine, context.clock, catalog)
    request = ActionContext(
        action=name, event="manual", finding_id=stored.id, signature_id=finding.signature_id,
        source_id=finding.source, severity=finding.severity.label,
    )  # fmt: skip
    run_id = await remediator.run_now(request, principal.actor)
    run = await asyncio.to_thread(_runs(context).get, run_id) if run_id is not None else None
    if run is None:
        raise HTTPException(503, "the run could not be audited, so it was not started")
    if run.status == RunStatus.SKIPPED_DISABLED:
        raise HTTPException(
            409, f"remediation is disabled (remediation.enabled: false); audited as run {run.id}"
        )
    return _run_out(run)
