"""Parsing: syslog lines, RFC 5424 (IETF) and RFC 3164 (BSD), as in files or on the wire.

The program name (RFC 3164 TAG / RFC 5424 APP-NAME) becomes the record's `logger`; the priority,
when present, gives the level (RFC 5424 §6.2.1 severities) and `fields.facility`.
"""

from __future__ import annotations

import re

from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.levels import level_from_syslog_severity
from loghealth.parsing.timestamps import from_iso, from_syslog

__all__ = ["Rfc3164Parser", "Rfc5424Parser"]

_PRI = r"(?:<(?P<pri>\d{1,3})>)"

_RFC5424 = re.compile(
    rf"{_PRI}1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$"
)

_TAG = r"(?P<tag>[^\s\[:]{1,64}(?: \d[\w.]*)?)(?:\[(?P<pid>[^\]\s]{1,32})\])?:"
_RFC3164 = re.compile(
    rf"{_PRI}?(?P<mon>[A-Z][a-z]{{2}}) {{1,2}}(?P<day>\d{{1,2}}) (?P<hms>\d{{2}}:\d{{2}}:\d{{2}})"
    rf"(?: (?P<host>[^\s:]+))? {_TAG} ?(?P<msg>.*)$"
)
# rsyslog's RSYSLOG_FileFormat: RFC 3339 time, then the same HOST TAG: MSG
_RFC3164_ISO = re.compile(
    rf"{_PRI}?(?P<ts>\d{{4}}-\d{{2}}-\d{{2}}T\d{{2}}:\d{{2}}:\d{{2}}(?:\.\d{{1,9}})?(?:Z|[+-]\d{{2}}:\d{{2}}))"
    rf" (?P<host>[^\s:]+) {_TAG} ?(?P<msg>.*)$"
)
# BSD line without a TAG ("host message"): keep it, with no program
_RFC3164_NOTAG = re.compile(
    rf"{_PRI}?(?P<mon>[A-Z][a-z]{{2}}) {{1,2}}(?P<day>\d{{1,2}}) (?P<hms>\d{{2}}:\d{{2}}:\d{{2}})"
    r" (?P<host>\S+) (?P<msg>.*)$"
)


def _priority_fields(pri: str | None, fields: dict[str, object]) -> int | None:
    if pri is None:
        return None
    value = int(pri)
    if value > 191:
        return None
    fields["facility"] = value >> 3
    return value & 7


class Rfc5424Parser:
    """Parser for RFC 5424 lines: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`."""

    name = "syslog_rfc5424"
    # first_char: `_RFC5424` opens with `_PRI`, which is not optional there
    first_char = r"<"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not RFC 5424."""
        found = _RFC5424.match(line)
        if found is None:
            return None
        fields: dict[str, object] = {}
        severity = _priority_fields(found["pri"], fields)
        for key in ("host", "procid", "msgid"):
            if found[key] != "-":
                fields[key] = found[key]
        if found["sd"] != "-":
            fields["structured_data"] = found["sd"]
        app = found["app"] if found["app"] != "-" else None
        if app:
            fields["program"] = app
        message = (found["msg"] or "").removeprefix("\ufeff")
        return Parsed(
            timestamp=from_iso(found["ts"], ctx.tz) if found["ts"] != "-" else None,
            level=level_from_syslog_severity(severity) if severity is not None else None,
            logger=app,
            message=message,
            fields=fields,
        )


class Rfc3164Parser:
    """Parser for BSD syslog: `[<PRI>]Mmm dd hh:mm:ss HOST TAG[PID]: MSG` (or an RFC 3339 time)."""

    name = "syslog_rfc3164"
    # first_char: an optional `_PRI`, then a `\d` year or a month (`from_syslog` takes only those)
    first_char = r"[<ADFJMNOS\d]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not BSD syslog."""
        first = line[:1]
        # Past an optional `<PRI>`, `_RFC3164` and `_RFC3164_NOTAG` open with a capital and
        # `_RFC3164_ISO` with a digit: try only what may match (`\d` is narrower than isdigit).
        if first.isdigit():
            found = _RFC3164_ISO.match(line)
        elif first == "<":
            found = _RFC3164.match(line) or _RFC3164_ISO.match(line) or _RFC3164_NOTAG.match(line)
        else:
            found = _RFC3164.match(line) or _RFC3164_NOTAG.match(line)
        if found is None:
            return None
        groups = found.groupdict()
        if groups.get("ts"):
            timestamp = from_iso(groups["ts"], ctx.tz)
        else:
            timestamp = from_syslog(groups["mon"], groups["day"], groups["hms"], ctx)
        if timestamp is None:
            return None
        fields: dict[str, object] = {}
        severity = _priority_fields(groups.get("pri"), fields)
        program = groups.get("tag")
        if ctx.fields:  # a scan reads none of them
            if groups.get("host"):
                fields["host"] = groups["host"]
            if program:
                fields["program"] = program
            if groups.get("pid"):
                pid = groups["pid"]
                fields["pid"] = int(pid) if pid.isdigit() else pid
        return Parsed(
            timestamp,
            level_from_syslog_severity(severity) if severity is not None else None,
            program,
            groups["msg"],
            fields,
        )
