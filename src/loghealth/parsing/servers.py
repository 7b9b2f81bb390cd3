"""Parsing: database and cache server logs — PostgreSQL, MySQL/MariaDB and Redis.

Sources: PostgreSQL "Error Reporting and Logging" (`log_line_prefix`, default `%m [%p] `, then
`SEVERITY:  message`; DETAIL/HINT/CONTEXT/STATEMENT/QUERY/LOCATION lines belong to the record
above), MySQL 8 error log (`time thread [Level] [MY-code] [Subsystem] message`; 5.x
`time thread [Level] message` and `yymmdd hh:mm:ss [Level] message`) and general query log, Redis
`pid:role dd Mon yyyy hh:mm:ss.mmm <level char> message` (`.` debug, `-` verbose, `*` notice,
`#` warning; 2.x `[pid] dd Mon hh:mm:ss.mmm`).
"""

from __future__ import annotations

import re
from datetime import datetime

from loghealth.model import Level
from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.levels import level_from_word
from loghealth.parsing.timestamps import (
    ISO_PATTERN,
    MONTHS,
    from_epoch,
    from_iso,
    from_parts,
    from_yearless,
)

__all__ = ["MysqlParser", "PostgresParser", "RedisParser"]

_PG = re.compile(
    r"(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)"
    r"(?: ?(?P<zone>[A-Z]{2,5}|[+-]\d{2}:?\d{2}))?(?P<prefix>[^\n]{0,160}?)[ :]"
    r"(?P<level>LOG|ERROR|WARNING|FATAL|PANIC|NOTICE|INFO|DEBUG[1-5]?|STATEMENT|DETAIL|HINT|CONTEXT"
    r"|QUERY|LOCATION):  ?(?P<msg>.*)$"
)
_PG_PID = re.compile(r"\[(?P<pid>\d+)(?:-(?P<line>\d+))?\]")
_PG_ATTACHED = frozenset(("STATEMENT", "DETAIL", "HINT", "CONTEXT", "QUERY", "LOCATION"))
_PG_LEVELS = {"LOG": Level.INFO, "PANIC": Level.CRITICAL, "FATAL": Level.CRITICAL}


def _zoned(ts: str, zone: str | None, ctx: ParseContext) -> datetime | None:
    # Zone abbreviations other than UTC/GMT are ambiguous (CST): read those in --timezone.
    if zone and (zone in ("UTC", "GMT", "Z") or zone[0] in "+-"):
        return from_iso(f"{ts}{'+00:00' if zone[0] not in '+-' else zone}", ctx.tz)
    return from_iso(ts, ctx.tz)


class PostgresParser:
    """Parser for PostgreSQL server logs with any `log_line_prefix` that starts with `%m`/`%t`.

    `fields` holds pid and, for DETAIL/HINT/STATEMENT… lines, nothing: those are returned as
    continuations and folded into the record above.
    """

    name = "postgres"
    # first_char: `_PG` opens with the date's `\d{4}`
    first_char = r"\d"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not a PostgreSQL log line."""
        if len(line) < 20 or not line[0].isdigit() or line[4] != "-":
            return None
        found = _PG.match(line)
        if found is None:
            return None
        level_word = found["level"]
        if level_word in _PG_ATTACHED:
            return Parsed(
                timestamp=None,
                level=None,
                logger="postgres",
                message=f"{level_word}:  {found['msg']}",
                continuation=True,
            )
        fields: dict[str, object] = {}
        pid = _PG_PID.search(found["prefix"])
        if pid is not None:
            fields["pid"] = int(pid["pid"])
        prefix = found["prefix"].strip(" :")
        if prefix:
            fields["prefix"] = prefix
        level = _PG_LEVELS.get(level_word) or level_from_word(level_word.rstrip("12345"))
        return Parsed(
            timestamp=_zoned(found["ts"], found["zone"], ctx),
            level=level,
            logger="postgres",
            message=found["msg"],
            fields=fields,
        )


_MYSQL = re.compile(
    rf"(?P<ts>{ISO_PATTERN}|\d{{6}} {{1,2}}\d{{1,2}}:\d{{2}}:\d{{2}})(?:\s+(?P<thread>\d+))? "
    r"\[(?P<level>Note|Warning|ERROR|Error|System|Info|Debug)\]"
    r"(?: \[(?P<code>MY-\d+)\])?(?: \[(?P<subsystem>\w+)\])? (?P<msg>.*)$"
)
_MYSQL_GENERAL = re.compile(
    rf"(?P<ts>{ISO_PATTERN})\t\s*(?P<thread>\d+) (?P<command>[A-Z][\w ]*?)\t(?P<msg>.*)$"
)
_MYSQL_LEVELS = {"Note": Level.INFO, "System": Level.INFO}


def _mysql_time(text: str, ctx: ParseContext) -> datetime | None:
    if "-" in text[:8]:
        return from_iso(text, ctx.tz)
    date, _, hms = text.partition(" ")
    hms = hms.strip().zfill(8)
    return from_parts(2000 + int(date[0:2]), int(date[2:4]), int(date[4:6]), hms, ctx.tz)


class MysqlParser:
    """Parser for MySQL/MariaDB error logs (5.x and 8 layouts) and the general query log."""

    name = "mysql"
    # first_char: `_MYSQL` and `_MYSQL_GENERAL` open with a `\d` date
    first_char = r"\d"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not a MySQL error- or general-log line."""
        if not line[:1].isdigit():
            return None
        found = _MYSQL.match(line)
        if found is not None:
            fields: dict[str, object] = {}
            if found["thread"]:
                fields["thread"] = int(found["thread"])
            for key in ("code", "subsystem"):
                if found[key]:
                    fields[key] = found[key]
            word = found["level"]
            return Parsed(
                timestamp=_mysql_time(found["ts"], ctx),
                level=_MYSQL_LEVELS.get(word) or level_from_word(word),
                logger=found["subsystem"] or "mysqld",
                message=found["msg"],
                fields=fields,
            )
        general = _MYSQL_GENERAL.match(line)
        if general is None:
            return None
        return Parsed(
            timestamp=from_iso(general["ts"], ctx.tz),
            level=Level.INFO,
            logger="mysqld",
            message=f"{general['command']}\t{general['msg']}".rstrip("\t"),
            fields={"thread": int(general["thread"]), "command": general["command"]},
        )


_REDIS = re.compile(
    r"(?:(?P<pid>\d+):(?P<role>[XCSM])|\[(?P<oldpid>\d+)\]) (?P<day>\d{1,2}) (?P<mon>[A-Z][a-z]{2})"
    r"(?: (?P<year>\d{4}))? (?P<hms>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,6}))? "
    r"(?P<mark>[.\-*#]) (?P<msg>.*)$"
)
_REDIS_SIGNAL = re.compile(r"(?P<pid>\d+):signal-handler \((?P<epoch>\d{9,11})\) (?P<msg>.*)$")
_REDIS_LEVELS = {".": Level.DEBUG, "-": Level.DEBUG, "*": Level.INFO, "#": Level.WARNING}
_ROLES = {"X": "sentinel", "C": "child", "S": "replica", "M": "master"}


class RedisParser:
    """Parser for Redis server logs; `fields` holds pid and role (master, replica, child…)."""

    name = "redis"
    # first_char: `_REDIS`: a `\d` pid or `[` (2.x); `_REDIS_SIGNAL`: a `\d` pid
    first_char = r"[\[\d]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not a Redis log line."""
        found = _REDIS.match(line)
        if found is None:
            signal = _REDIS_SIGNAL.match(line)
            if signal is None:
                return None
            return Parsed(
                timestamp=from_epoch(float(signal["epoch"])),
                level=Level.WARNING,
                logger="redis",
                message=signal["msg"],
                fields={"pid": int(signal["pid"]), "role": "signal-handler"},
            )
        fields: dict[str, object] = {"pid": int(found["pid"] or found["oldpid"])}
        if found["role"]:
            fields["role"] = _ROLES[found["role"]]
        month = MONTHS.get(found["mon"].lower(), 0)
        frac = found["frac"] or ""
        if found["year"]:
            timestamp = from_parts(
                int(found["year"]), month, int(found["day"]), found["hms"], ctx.tz, frac
            )
        else:
            timestamp = from_yearless(month, int(found["day"]), found["hms"], ctx, frac)
        return Parsed(
            timestamp=timestamp,
            level=_REDIS_LEVELS[found["mark"]],
            logger="redis",
            message=found["msg"],
            fields=fields,
        )
