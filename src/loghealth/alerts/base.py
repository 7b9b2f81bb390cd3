"""Alerts stage: the notifier contract and the notification payload every notifier sends.

A `Notification` is one message about one or more findings (grouped when they fire together)
for one trigger and one event kind; `to_json` is the webhook body (`PAYLOAD_VERSION`), and
`title`/`text` are its human form (Apprise, chat services).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from loghealth.engine.lifecycle import EventKind
from loghealth.model import Severity

__all__ = [
    "PAYLOAD_VERSION",
    "DeliveryError",
    "FindingNotice",
    "Notification",
    "Notifier",
]

PAYLOAD_VERSION = 1
"""The `version` field of the webhook body; bumped when a field changes meaning or goes away."""

_VERBS = {
    EventKind.OPENED: "opened",
    EventKind.UPDATED: "keeps firing",
    EventKind.REGRESSED: "came back",
    EventKind.RESOLVED: "resolved",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


@dataclass(frozen=True, slots=True)
class FindingNotice:
    """What a notification says about one finding.

    `sample` is the stored sample: redacted by the engine, first line only, ≤ 400 characters.
    Times are aware UTC (the records' own timestamps for `first_seen_at`/`last_seen_at`).
    `dashboard_url` is None when no dashboard address is known.
    """

    id: int
    signature_id: str
    pack: str
    name: str
    cause: str
    fix: str
    severity: Severity
    category: str
    area: str
    source_id: str
    state: str
    count: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    sample: str
    sample_line: int
    docs_url: str | None
    dashboard_url: str | None

    def to_json(self) -> dict[str, Any]:
        """The finding as a JSON object (times ISO 8601 with `Z`, severity as its name)."""
        return {
            "id": self.id, "signature_id": self.signature_id, "pack": self.pack,
            "name": self.name, "cause": self.cause, "fix": self.fix,
            "severity": self.severity.label, "category": self.category, "area": self.area,
            "source_id": self.source_id, "state": self.state, "count": self.count,
            "first_seen_at": _iso(self.first_seen_at), "last_seen_at": _iso(self.last_seen_at),
            "sample": self.sample, "sample_line": self.sample_line,
            "docs_url": self.docs_url, "dashboard_url": self.dashboard_url,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Notification:
    """One message: `findings` (≥ 1) of one `event` kind, sent for one trigger.

    `more_count` findings of the same group were left out of `findings` (size cap);
    `suppressed_count` is how many firings of these findings the re-alert policy held back since
    their previous notification. `created_at` is aware UTC. `delivery_id` is the stored delivery
    (None for a payload that is only shown).
    """

    event: EventKind
    trigger_id: int
    trigger_name: str
    findings: tuple[FindingNotice, ...]
    created_at: datetime
    more_count: int = 0
    suppressed_count: int = 0
    is_test: bool = False
    delivery_id: int | None = None

    def title(self) -> str:
        """A one-line summary, e.g. `[loghealth] error: Disk full opened on file:/var/log/x`."""
        first = self.findings[0]
        prefix = "[loghealth test] " if self.is_test else "[loghealth] "
        verb = _VERBS.get(self.event, str(self.event))
        total = len(self.findings) + self.more_count
        if total == 1:
            return f"{prefix}{first.severity.label}: {first.name} {verb} on {first.source_id}"
        worst = max(notice.severity for notice in self.findings)
        return f"{prefix}{worst.label}: {total} findings {verb} (first: {first.name})"

    def text(self) -> str:
        """A plain-text body: one paragraph per finding (sample, cause, fix, links)."""
        parts = []
        for notice in self.findings:
            lines = [
                f"{notice.severity.label.upper()} {notice.name} — {notice.source_id} "
                f"({notice.count} hits, {notice.state})",
                f"  sample: {notice.sample}" if notice.sample else "",
                f"  cause: {notice.cause}" if notice.cause else "",
                f"  fix: {notice.fix}" if notice.fix else "",
                f"  docs: {notice.docs_url}" if notice.docs_url else "",
                f"  details: {notice.dashboard_url}" if notice.dashboard_url else "",
            ]
            parts.append("\n".join(line for line in lines if line))
        if self.more_count:
            parts.append(f"… and {self.more_count} more")
        if self.suppressed_count:
            parts.append(f"({self.suppressed_count} repeated alerts were held back)")
        return "\n\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The webhook body (see README "Webhook payload"); keys are stable for a version."""
        return {
            "version": PAYLOAD_VERSION,
            "event": str(self.event),
            "is_test": self.is_test,
            "created_at": _iso(self.created_at),
            "delivery_id": self.delivery_id,
            "trigger": {"id": self.trigger_id, "name": self.trigger_name},
            "title": self.title(),
            "text": self.text(),
            "findings": [notice.to_json() for notice in self.findings],
            "more_count": self.more_count,
            "suppressed_count": self.suppressed_count,
        }


class DeliveryError(Exception):
    """A notification was not accepted; the message says why.

    `is_retryable` is False when trying again cannot help (refused by the egress guard, a
    redirect, a 4xx other than 408/429, a bad configuration). `status_code` is the HTTP status
    when there was a response.
    """

    def __init__(self, message: str, *, is_retryable: bool, status_code: int | None = None):
        super().__init__(message)
        self.is_retryable = is_retryable
        self.status_code = status_code


class Notifier(Protocol):
    """Sends notifications somewhere (a webhook, Apprise URLs…)."""

    async def send(self, notification: Notification) -> int | None:
        """Send one notification; return the HTTP status of the accepting response (or None).

        Raises:
            DeliveryError: not delivered (with `is_retryable` set).
        """
        ...

    async def aclose(self) -> None:
        """Release connections (the notifier is not used afterwards)."""
        ...
