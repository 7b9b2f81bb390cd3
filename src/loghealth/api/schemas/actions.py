"""API schemas: remediation actions — the configured set (secrets masked) and the run audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from loghealth.api.schemas.common import StrictIn
from loghealth.remediation import RunStatus

__all__ = ["ActionOut", "ActionRunOut", "ActionRunPageOut", "ActionsOut", "PauseIn", "PauseOut"]


class ActionOut(BaseModel):
    """A configured action. `settings` is its config block with secrets shown as `**********`.

    `signatures` lists the ids of the live catalog's signatures and rules that fire it (their
    `auto_heal`, or the config's `remediation.auto_heal`).
    """

    name: str
    type: Literal["command", "http", "container_restart"]
    cooldown_secs: int
    settings: dict[str, Any]
    signatures: list[str]


class PauseIn(StrictIn):
    """Pause (`is_paused` true) or resume automatic remediation, saying why."""

    is_paused: bool
    reason: str = Field("", max_length=500, description="why (shown with the state)")


class PauseOut(BaseModel):
    """Whether automatic remediation is paused, by whom and since when.

    While paused, automatic runs are audited as `skipped_paused`; an admin's manual run still
    runs. `actor` (`token:<name>`) and `changed_at` are None when it was never paused.
    """

    is_paused: bool
    reason: str
    actor: str | None
    changed_at: datetime | None


class ActionsOut(BaseModel):
    """The remediation set-up: kill switch, dry run, which events fire, actions and problems.

    `is_enabled` False means nothing runs (decisions are audited as `skipped_disabled`);
    `pause` is the runtime pause of automatic runs (`PUT /actions/pause`); `problems` are
    signatures naming an undefined action and mappings to unknown signatures.
    """

    is_enabled: bool
    is_dry_run: bool
    pause: PauseOut
    events: list[Literal["opened", "regressed", "updated"]]
    actions: list[ActionOut]
    problems: list[str]


class ActionRunOut(BaseModel):
    """One audited decision: a run (and how it ended), a dry run, or why nothing ran.

    `event` is the finding event that fired it (`opened`, `regressed`, `updated`) or `manual`;
    `actor` is `engine` or `token:<name>`. `exit_code` is the process exit code (`command`;
    negative: killed by that signal) or the HTTP status (`http`, `container_restart`).
    `output` (redacted, ≤ 4000 characters) is what the action printed or answered, or for a
    dry run what it would do; `error` says what went wrong or why nothing ran.
    `finished_at` and `duration_ms` are None while it runs.
    """

    id: int
    action: str
    action_type: str | None
    finding_id: int | None
    signature_id: str | None
    source_id: str | None
    event: str
    actor: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    exit_code: int | None
    output: str
    error: str | None


class ActionRunPageOut(BaseModel):
    """One page of audited runs, newest first, with the total matching count."""

    items: list[ActionRunOut]
    total: int
    limit: int
    offset: int
