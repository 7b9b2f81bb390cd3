"""Finding notices and notifications for the alerts tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from loghealth.alerts import FindingNotice, Notification
from loghealth.engine.lifecycle import EventKind
from loghealth.model import Severity

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def notice(**changes: Any) -> FindingNotice:
    base = FindingNotice(
        id=1, signature_id="postgres-too-many-clients", pack="postgres", name="Too many clients",
        cause="max_connections reached", fix="raise max_connections or pool connections",
        severity=Severity.ERROR, category="environment", area="database",
        source_id="file:/var/log/postgresql/main.log", state="open", count=3,
        first_seen_at=T0, last_seen_at=T0,
        sample="FATAL:  sorry, too many clients already", sample_line=12,
        docs_url="https://www.postgresql.org/docs/", dashboard_url="http://localhost:8470/findings/1",
    )  # fmt: skip
    return replace(base, **changes)


def notification(**changes: Any) -> Notification:
    base = Notification(EventKind.OPENED, 7, "db alerts", (notice(),), T0, delivery_id=42)
    return replace(base, **changes)
