"""API: the fleet client status rule and conversions of pushed entries (client-monitoring spec).

Status: `offline` if not alive (no heartbeat within the grace) or not active; else `critical`
if the process crashed, the app/screen health is not `OK`, an ERROR entry lies in the window or
an active finding of severity error or worse matched the client's logs; else `warning` if the
process is starting/stopped, a WARN entry lies in the window or an active warning finding
exists; else `healthy`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from loghealth.api.schemas import ClientLevelCounts, ClientOut, LogEntryOut
from loghealth.model import Level, LogRecord, Severity
from loghealth.store.clients import ClientInfo, ClientLevel, EntryData, StoredEntry

__all__ = [
    "LEVEL_ALIASES",
    "client_out",
    "client_status",
    "context_object",
    "counts_out",
    "entry_out",
    "entry_record",
    "is_alive",
    "parse_level",
]

LEVEL_ALIASES: dict[str, ClientLevel] = {
    "ERROR": ClientLevel.ERROR,
    "CRITICAL": ClientLevel.ERROR,
    "FATAL": ClientLevel.ERROR,
    "WARN": ClientLevel.WARN,
    "WARNING": ClientLevel.WARN,
    "INFO": ClientLevel.INFO,
    "DEBUG": ClientLevel.DEBUG,
}
_RECORD_LEVELS = {
    ClientLevel.ERROR: Level.ERROR,
    ClientLevel.WARN: Level.WARNING,
    ClientLevel.INFO: Level.INFO,
    ClientLevel.DEBUG: Level.DEBUG,
}


def parse_level(text: str, aliases: bool = True) -> ClientLevel:
    """Read a level, any case (`aliases`: also WARNING, CRITICAL, FATAL).

    Raises:
        ValueError: any other word (the message names the valid values).
    """
    word = text.strip().upper()
    level = LEVEL_ALIASES.get(word) if aliases else ClientLevel.__members__.get(word)
    if level is None:
        raise ValueError(f"unknown level {text!r}: use one of ERROR, WARN, INFO, DEBUG")
    return level


def context_object(value: dict[str, Any] | str | None) -> dict[str, Any]:
    """A pushed context as a JSON object: a JSON-object string is decoded, other text is raw."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return {"raw": value}
    return decoded if isinstance(decoded, dict) else {"raw": value}


def entry_record(entry: EntryData, source_id: str) -> LogRecord:
    """The engine's view of a pushed entry (format `json_lines`: it arrived as structured JSON)."""
    return LogRecord(
        timestamp=entry.at,
        level=_RECORD_LEVELS[entry.level],
        logger=entry.logger,
        message=entry.message,
        fields=entry.context,
        raw=entry.message.split("\n", 1)[0],
        format="json_lines",
        source=source_id,
        line=0,
    )


def is_alive(info: ClientInfo, now: datetime, grace_secs: int) -> bool:
    """True when the client sent a heartbeat within `grace_secs` of `now`."""
    seen = info.last_seen_at
    return seen is not None and now - seen <= timedelta(seconds=grace_secs)


def client_status(
    info: ClientInfo,
    alive: bool,
    counts: dict[str, int],
    worst_finding: Severity | None,
) -> str:
    """The status of the module docstring's rule: offline, critical, warning or healthy."""
    if not alive or not info.is_active:
        return "offline"
    app_broken = info.app_status is not None and info.app_status.upper() != "OK"
    if (
        info.process_status == "crashed"
        or app_broken
        or counts.get("ERROR", 0) > 0
        or (worst_finding is not None and worst_finding >= Severity.ERROR)
    ):
        return "critical"
    if (
        info.process_status in ("starting", "stopped")
        or counts.get("WARN", 0) > 0
        or worst_finding is Severity.WARNING
    ):
        return "warning"
    return "healthy"


def counts_out(counts: dict[str, int]) -> ClientLevelCounts:
    """Level counts with lower-case keys (missing levels are 0)."""
    return ClientLevelCounts(**{level.lower(): counts.get(level, 0) for level in ClientLevel})


def client_out(info: ClientInfo, alive: bool, status: str) -> ClientOut:
    """A client as the API shows it."""
    return ClientOut(
        id=info.id, hostname=info.hostname, description=info.description, ip=info.ip,
        model=info.model, group=info.group, is_active=info.is_active, is_alive=alive,
        status=status,
        process_status=info.process_status, app_status=info.app_status,
        process_name=info.process_name, pid=info.pid, metadata=info.metadata,
        last_seen_at=info.last_seen_at, created_at=info.created_at,
        has_ingest_key=info.has_ingest_key,
    )  # fmt: skip


def entry_out(entry: StoredEntry, info: ClientInfo | None = None) -> LogEntryOut:
    """A stored entry as the API shows it (with the client's hostname/description if given)."""
    return LogEntryOut(
        id=entry.id, client_id=entry.client_id, timestamp=entry.at,
        level=entry.level,
        message=entry.message, logger=entry.logger, context=entry.context,
        hostname=info.hostname if info else None,
        description=info.description if info else None,
    )  # fmt: skip
