r"""Parsing: logs wrapped by a runtime — Docker's json-file driver and `journalctl -o json`.

Docker json-file (`/var/lib/docker/containers/<id>/<id>-json.log`): one
`{"log": "<line>\n", "stream": "stdout|stderr", "time": "<RFC 3339, ns>"}` per line the container
wrote; the inner line is parsed again with the per-line chain (its level, logger and fields are
kept; Docker's time is used when the inner line has none). `journalctl -o json`: one JSON object per
entry with `__REALTIME_TIMESTAMP` (µs since the epoch, UTC), `PRIORITY` (syslog severity),
`MESSAGE`, `SYSLOG_IDENTIFIER`, `_PID`, `_SYSTEMD_UNIT`… (systemd.journal-fields(7)).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from loghealth.parsing.base import Parsed, Parser
from loghealth.parsing.context import ParseContext
from loghealth.parsing.framing import is_continuation_line
from loghealth.parsing.levels import level_from_syslog_severity
from loghealth.parsing.timestamps import from_epoch, from_iso

__all__ = ["DockerJsonParser", "JournaldJsonParser"]


def _json_object(line: str, marker: str) -> dict[str, Any] | None:
    text = line.strip()
    if not text.startswith("{") or marker not in text:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


class DockerJsonParser:
    """Parser for Docker json-file lines; the inner line goes through `inner` (built lazily).

    An inner line that no parser understands but that continues a record (a traceback or stack
    frame) is returned as a continuation, so the framer folds it into the record above.
    """

    name = "docker_json"
    # first_char: `_json_object` strips whitespace (`\s` is `str.isspace`), then needs `{`
    first_char = r"[{\s]"

    def __init__(self, inner: Callable[[], Parser] | None = None) -> None:
        self._make_inner = inner
        self._inner: Parser | None = None

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not a Docker json-file entry."""
        data = _json_object(line, '"log"')
        if data is None or not isinstance(data.get("log"), str):
            return None
        if "stream" not in data and "time" not in data:
            return None
        text = data["log"].rstrip("\r\n")
        stream = data.get("stream")
        time_text = data.get("time")
        timestamp = from_iso(time_text, ctx.tz) if isinstance(time_text, str) else None
        if self._inner is None and self._make_inner is not None:
            self._inner = self._make_inner()
        inner = self._inner.parse(text, ctx) if self._inner is not None and text else None
        fields: dict[str, Any] = {"stream": stream} if isinstance(stream, str) else {}
        if data.get("attrs"):
            fields["attrs"] = data["attrs"]
        if inner is None:
            return Parsed(
                timestamp=timestamp,
                level=None,
                logger=None,
                message=text,
                fields=fields,
                continuation=is_continuation_line(text),
            )
        fields["inner_format"] = inner.format or getattr(self._inner, "name", None)
        fields.update(inner.fields)
        return Parsed(
            timestamp=inner.timestamp or timestamp,
            level=inner.level,
            logger=inner.logger,
            message=inner.message,
            fields=fields,
            continuation=inner.continuation,
        )


def _text(value: Any) -> str:
    if isinstance(value, list):  # journald exports non-UTF-8 messages as a byte array
        try:
            return bytes(value).decode("utf-8", "replace")
        except (TypeError, ValueError):
            return json.dumps(value)
    return "" if value is None else str(value)


class JournaldJsonParser:
    """Parser for `journalctl -o json` entries; trusted `_FIELDS` are kept in `fields`."""

    name = "journald_json"
    # first_char: `_json_object` strips whitespace (`\s` is `str.isspace`), then needs `{`
    first_char = r"[{\s]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not a journal JSON entry."""
        data = _json_object(line, '"__REALTIME_TIMESTAMP"')
        if data is None or "MESSAGE" not in data:
            return None
        timestamp = None
        realtime = data.get("__REALTIME_TIMESTAMP")
        if isinstance(realtime, str | int) and str(realtime).isdigit():
            timestamp = from_epoch(int(realtime) / 1_000_000)
        priority = str(data.get("PRIORITY", ""))
        level = level_from_syslog_severity(int(priority)) if priority.isdigit() else None
        logger = data.get("SYSLOG_IDENTIFIER") or data.get("_COMM") or data.get("_SYSTEMD_UNIT")
        fields: dict[str, Any] = {}
        for key, name in (
            ("_PID", "pid"),
            ("_SYSTEMD_UNIT", "unit"),
            ("_HOSTNAME", "host"),
            ("SYSLOG_FACILITY", "facility"),
            ("_TRANSPORT", "transport"),
        ):
            value = data.get(key)
            if isinstance(value, str) and value:
                fields[name] = (
                    int(value) if value.isdigit() and name in ("pid", "facility") else value
                )
        return Parsed(
            timestamp=timestamp,
            level=level,
            logger=str(logger) if logger else None,
            message=_text(data.get("MESSAGE")),
            fields=fields,
        )
