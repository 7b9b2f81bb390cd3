"""Remediation: the contract of an action — what it is given, what it returns, how output is kept.

An action is configured by an admin (settings `remediation.actions`), never by the API or a log
line. It gets an `ActionContext` describing the finding and returns an `ActionResult`; it must
not raise for an expected failure (a non-zero exit, an HTTP error, an unreachable engine).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "MASK",
    "Action",
    "ActionContext",
    "ActionResult",
    "OutputBuffer",
    "RunStatus",
]

MASK = "**********"
"""What secrets (environment values, header values) read as wherever an action is shown."""


class RunStatus(enum.StrEnum):
    """The outcome of a remediation decision, as audited.

    `running` until the action ends; `succeeded` / `failed` (non-zero exit, HTTP status >= 400) /
    `timed_out` / `error` (could not start, refused, crashed) after it ran. The others record a
    decision not to run: `dry_run`, `skipped_cooldown`, `skipped_disabled` (kill switch off),
    `skipped_paused` (an admin paused automatic runs) and `unknown_action` (a signature names an
    action the config does not define).
    """

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    ERROR = "error"
    DRY_RUN = "dry_run"
    SKIPPED_COOLDOWN = "skipped_cooldown"
    SKIPPED_DISABLED = "skipped_disabled"
    SKIPPED_PAUSED = "skipped_paused"
    UNKNOWN_ACTION = "unknown_action"

    @property
    def starts_cooldown(self) -> bool:
        """True for runs (and dry runs) after which the action's cooldown applies."""
        return self in _COOLDOWN_STATUSES


_COOLDOWN_STATUSES = frozenset(
    {
        RunStatus.RUNNING,
        RunStatus.SUCCEEDED,
        RunStatus.FAILED,
        RunStatus.TIMED_OUT,
        RunStatus.ERROR,
        RunStatus.DRY_RUN,
    }
)


@dataclass(frozen=True, slots=True)
class ActionContext:
    """Why an action runs: the finding (None fields for a manual run without one) and the event.

    `event` is the finding event (`opened`, `regressed`, `updated`) or `manual`.
    """

    action: str
    event: str
    finding_id: int | None = None
    signature_id: str | None = None
    source_id: str | None = None
    severity: str | None = None

    def variables(self) -> dict[str, str]:
        """The context as template variables (`finding_id`, …); unknown values are ''."""
        return {
            "action": self.action,
            "event": self.event,
            "finding_id": "" if self.finding_id is None else str(self.finding_id),
            "signature_id": self.signature_id or "",
            "source_id": self.source_id or "",
            "severity": self.severity or "",
        }

    def environment(self) -> dict[str, str]:
        """The context as `LOGHEALTH_<NAME>` environment variables (given to commands)."""
        return {f"LOGHEALTH_{key.upper()}": value for key, value in self.variables().items()}


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What one run of an action gave.

    `exit_code` is the process exit code (negative: killed by that signal) for a command, the
    HTTP status for `http` and `container_restart`, None when nothing answered. `output` is the
    captured output (already capped by the action, not yet redacted); `duration_secs` is
    monotonic wall time.
    """

    status: RunStatus
    exit_code: int | None = None
    output: str = ""
    duration_secs: float = 0.0
    error: str | None = None


class Action(Protocol):
    """A configured remediation action. `type` is `command`, `http` or `container_restart`."""

    name: str
    type: str
    cooldown_secs: int

    async def run(self, context: ActionContext) -> ActionResult:
        """Run once for `context` and report; expected failures are results, not exceptions."""
        ...

    def describe(self) -> dict[str, Any]:
        """The action's settings as JSON-able data, secrets replaced by `MASK`."""
        ...

    def preview(self, context: ActionContext) -> str:
        """One line saying what a run for `context` would do (recorded for a dry run)."""
        ...


class OutputBuffer:
    """Keeps the first `max_bytes` bytes of a stream and counts the rest (which is dropped).

    Raises:
        ValueError: if `max_bytes` < 1.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.max_bytes = max_bytes
        self.total_bytes = 0
        self._chunks: list[bytes] = []
        self._kept = 0

    def feed(self, chunk: bytes) -> None:
        """Add a chunk (only what still fits under `max_bytes` is kept)."""
        self.total_bytes += len(chunk)
        room = self.max_bytes - self._kept
        if room > 0:
            piece = chunk[:room]
            self._chunks.append(piece)
            self._kept += len(piece)

    @property
    def is_truncated(self) -> bool:
        """True when bytes were dropped."""
        return self.total_bytes > self._kept

    def text(self) -> str:
        """The kept bytes as UTF-8 (invalid bytes replaced), with a note when some were dropped."""
        text = b"".join(self._chunks).decode("utf-8", errors="replace")
        if self.is_truncated:
            text += f"\n… [output truncated: {self.total_bytes} bytes, first {self._kept} kept]"
        return text
