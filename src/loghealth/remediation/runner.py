"""Remediation: the runner — decide whether an action runs, run it in the background, audit it.

Decisions, in order: an action the config does not define is `unknown_action`; the kill switch
off is `skipped_disabled`; an automatic run while an admin has paused remediation is
`skipped_paused` (a person's run is not paused); a run (or dry run) of the same action within
its `cooldown_secs` (on the clock, read from the audit so it survives restarts) is
`skipped_cooldown`; dry-run mode is `dry_run`; else the action runs as its own task (at most
`max_concurrent_runs` at once).
Nothing an action does — fail, hang, raise — reaches the caller: it becomes an audited status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from loghealth.clock import Clock
from loghealth.remediation.base import Action, ActionContext, ActionResult, RunStatus
from loghealth.settings import RemediationSettings

__all__ = ["OUTPUT_EXCERPT_CHARS", "Remediator", "RunLog"]

OUTPUT_EXCERPT_CHARS = 4000
"""Most characters of output (and of an error) kept in the audit, after redaction."""

_log = logging.getLogger(__name__)


class RunLog(Protocol):
    """Where decisions are audited (`loghealth.store.remediation.RemediationStore`).

    Times are aware UTC; `status` is a `RunStatus` value. Calls are blocking (database I/O).
    """

    def start(
        self,
        *,
        action: str,
        action_type: str | None,
        event: str,
        finding_id: int | None,
        signature_id: str | None,
        source_id: str | None,
        actor: str,
        status: str,
        started_at: datetime,
        output: str = "",
        error: str | None = None,
        finished_at: datetime | None = None,
    ) -> int:
        """Record a decision; returns its id (`finished_at` None: a run that goes on)."""
        ...

    def finish(
        self,
        run_id: int,
        *,
        status: str,
        finished_at: datetime,
        duration_ms: int | None,
        exit_code: int | None,
        output: str,
        error: str | None,
    ) -> None:
        """Record the end of a run started with status `running`."""
        ...

    def last_started_at(self, action: str, statuses: Collection[str]) -> datetime | None:
        """When the newest record of `action` with one of `statuses` started (None: never)."""
        ...


class Remediator:
    """Decides, runs and audits remediation actions (one per serve process, or per API call).

    Args:
        settings: the kill switch (`enabled`), `dry_run` and `max_concurrent_runs`.
        actions: the configured actions by name (`registry.build_actions`).
        log: the audit.
        clock: decision, start and finish times (and so the cooldown).
        redact: applied to output and errors before they are audited.
        is_paused: whether automatic runs are paused now (asked before each one, from a
            thread: it may read the store; `loghealth.store.remediation.PauseSwitch`).
    """

    def __init__(
        self,
        settings: RemediationSettings,
        actions: Mapping[str, Action],
        log: RunLog,
        clock: Clock,
        redact: Callable[[str], str] = str,
        is_paused: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings = settings
        self.actions = dict(actions)
        self.log = log
        self.clock = clock
        self.redact = redact
        self.is_paused = is_paused
        self._slots = asyncio.Semaphore(settings.max_concurrent_runs)
        self._tasks: set[asyncio.Task[None]] = set()

    def decide(
        self, name: str, now: datetime, *, check_cooldown: bool = True, check_pause: bool = True
    ) -> RunStatus:
        """The decision for `name` now (`running` means: run it). Reads the audit (blocking).

        `check_cooldown` and `check_pause` are False for a person's run (`run_now`).
        """
        action = self.actions.get(name)
        if action is None:
            return RunStatus.UNKNOWN_ACTION
        if not self.settings.enabled:
            return RunStatus.SKIPPED_DISABLED
        if check_pause and self.is_paused():
            return RunStatus.SKIPPED_PAUSED
        if check_cooldown and action.cooldown_secs > 0:
            cooling = [str(s) for s in RunStatus if s.starts_cooldown]
            last = self.log.last_started_at(name, cooling)
            if last is not None and now - last < timedelta(seconds=action.cooldown_secs):
                return RunStatus.SKIPPED_COOLDOWN
        return RunStatus.DRY_RUN if self.settings.dry_run else RunStatus.RUNNING

    async def submit(self, context: ActionContext, actor: str = "engine") -> int | None:
        """Decide and audit; a run goes on in the background.

        Returns the audit id, or None when the audit could not be written (logged, not raised).
        """
        return await self._begin(context, actor, automatic=True, wait=False)

    async def run_now(self, context: ActionContext, actor: str) -> int | None:
        """A person's run: like `submit` without the cooldown or the pause, awaited to its end."""
        return await self._begin(context, actor, automatic=False, wait=True)

    async def _begin(
        self, context: ActionContext, actor: str, *, automatic: bool, wait: bool
    ) -> int | None:
        now = self.clock.now()
        try:  # automatic runs (`submit`) check the cooldown and the pause, a person's do not
            status = await asyncio.to_thread(
                self.decide,
                context.action,
                now,
                check_cooldown=automatic,
                check_pause=automatic,
            )
            run_id = await asyncio.to_thread(self._record, context, actor, status, now)
        except Exception:  # the audit is down: say so, never stop the engine
            _log.exception("remediation %s: the decision could not be audited", context.action)
            return None
        if status is RunStatus.RUNNING:
            task = asyncio.create_task(self._execute(run_id, context))
            if wait:
                await task
            else:
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return run_id

    def _record(self, context: ActionContext, actor: str, status: RunStatus, now: datetime) -> int:
        action = self.actions.get(context.action)
        output, error = "", None
        if status is RunStatus.DRY_RUN and action is not None:
            output = action.preview(context)
        elif status is RunStatus.SKIPPED_DISABLED:
            error = "remediation is disabled (remediation.enabled: false)"
        elif status is RunStatus.SKIPPED_PAUSED:
            error = "automatic remediation is paused (PUT /api/v1/actions/pause)"
        elif status is RunStatus.SKIPPED_COOLDOWN and action is not None:
            error = f"ran less than {action.cooldown_secs} s ago (cooldown_secs)"
        elif status is RunStatus.UNKNOWN_ACTION:
            error = f"no action {context.action!r} in remediation.actions"
        return self.log.start(
            action=context.action,
            action_type=action.type if action is not None else None,
            event=context.event,
            finding_id=context.finding_id,
            signature_id=context.signature_id,
            source_id=context.source_id,
            actor=actor,
            status=str(status),
            started_at=now,
            output=self._excerpt(output),
            error=error,
            finished_at=None if status is RunStatus.RUNNING else now,
        )

    async def _execute(self, run_id: int, context: ActionContext) -> None:
        action = self.actions[context.action]
        started = time.monotonic()
        async with self._slots:
            try:
                result = await action.run(context)
            except asyncio.CancelledError:
                cancelled = ActionResult(RunStatus.ERROR, error="cancelled: loghealth stopped")
                self._finish(run_id, cancelled, time.monotonic() - started)
                raise
            except Exception as error:  # a broken action is audited, never propagated
                _log.exception("remediation %s crashed", context.action)
                result = ActionResult(RunStatus.ERROR, error=f"{type(error).__name__}: {error}")
        await asyncio.to_thread(self._finish, run_id, result, time.monotonic() - started)

    def _finish(self, run_id: int, result: ActionResult, elapsed_secs: float) -> None:
        duration = result.duration_secs or elapsed_secs
        try:
            self.log.finish(
                run_id,
                status=str(result.status),
                finished_at=self.clock.now(),
                duration_ms=round(duration * 1000),
                exit_code=result.exit_code,
                output=self._excerpt(result.output),
                error=self._excerpt(result.error) if result.error else None,
            )
        except Exception:
            _log.exception("remediation run %d: its result could not be audited", run_id)

    def _excerpt(self, text: str) -> str:
        redacted = self.redact(text)
        if len(redacted) <= OUTPUT_EXCERPT_CHARS:
            return redacted
        return redacted[:OUTPUT_EXCERPT_CHARS] + " …"

    @property
    def running(self) -> int:
        """Runs started in the background and not ended yet."""
        return len(self._tasks)

    async def aclose(self, grace_secs: float = 5.0) -> None:
        """Let background runs end for `grace_secs`, then cancel the rest (audited `error`)."""
        tasks = list(self._tasks)
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=grace_secs)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
