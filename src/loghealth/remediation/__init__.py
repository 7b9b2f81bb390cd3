"""Remediation: configured actions run when a signature marked `auto_heal` fires.

`base` is the contract (Action, ActionContext, ActionResult, RunStatus), one module per action
type (`command`, `http`, `container_restart`), `registry` builds them from settings and `runner`
decides (kill switch, cooldown, dry run), runs and audits them.
"""

from loghealth.remediation.base import (
    MASK,
    Action,
    ActionContext,
    ActionResult,
    OutputBuffer,
    RunStatus,
)
from loghealth.remediation.registry import action_secrets, build_action, build_actions
from loghealth.remediation.runner import OUTPUT_EXCERPT_CHARS, Remediator, RunLog

__all__ = [
    "MASK",
    "OUTPUT_EXCERPT_CHARS",
    "Action",
    "ActionContext",
    "ActionResult",
    "OutputBuffer",
    "Remediator",
    "RunLog",
    "RunStatus",
    "action_secrets",
    "build_action",
    "build_actions",
]
