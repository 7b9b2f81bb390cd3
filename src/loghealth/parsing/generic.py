"""Parsing: the fallback for any line with a recognisable timestamp and/or level word.

Finds a timestamp near the start of the line (ISO 8601, syslog, Apache, Common Log Format, slash
dates, `yyMMdd HHmmss`, epoch), then a level word, an optional `[thread]`, an optional logger
(`name:` or a dotted module name); the message is what follows the header.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.levels import LEVEL_WORDS_PATTERN, level_from_word
from loghealth.parsing.timestamps import MONTHS, from_epoch, from_iso, from_parts, from_syslog

__all__ = ["GenericParser"]

_MON = r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_HMS = r"(?P<hms>\d{2}:\d{2}:\d{2})(?:[.,](?P<frac>\d{1,9}))?"

_TimeReader = Callable[[dict[str, str], ParseContext], datetime | None]


def _iso(groups: dict[str, str], ctx: ParseContext) -> datetime | None:
    return from_iso(groups["iso"], ctx.tz)


def _syslog(groups: dict[str, str], ctx: ParseContext) -> datetime | None:
    return from_syslog(groups["mon"], groups["day"], groups["hms"], ctx)


def _dated(groups: dict[str, str], ctx: ParseContext) -> datetime | None:
    year = int(groups["year"])
    if year < 100:
        year += 2000
    month = int(groups["month"]) if groups.get("month") else MONTHS.get(groups["mon"].lower(), 0)
    value = from_parts(
        year, month, int(groups["day"]), groups["hms"], ctx.tz, groups.get("frac") or ""
    )
    if value is not None and groups.get("off"):
        offset = groups["off"]
        value = from_iso(
            f"{value.astimezone(ctx.tz).replace(tzinfo=None).isoformat()}{offset}", ctx.tz
        )
    return value


def _compact(groups: dict[str, str], ctx: ParseContext) -> datetime | None:
    digits = groups["compact"]
    hms = f"{groups['ctime'][0:2]}:{groups['ctime'][2:4]}:{groups['ctime'][4:6]}"
    return from_parts(2000 + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), hms, ctx.tz)


def _epoch(groups: dict[str, str], ctx: ParseContext) -> datetime | None:
    return from_epoch(float(groups["epoch"]))


_TIMES: tuple[tuple[re.Pattern[str], _TimeReader], ...] = (
    (
        re.compile(
            r"(?P<iso>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
            r"(?:\s?(?:Z|UTC|[+-]\d{2}:?\d{2}))?)"
        ),
        _iso,
    ),
    (
        re.compile(
            rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) {_MON} +(?P<day>\d{{1,2}}) {_HMS} (?P<year>\d{{4}})"
        ),
        _dated,
    ),
    (
        re.compile(rf"(?P<day>\d{{2}})/{_MON}/(?P<year>\d{{4}}):{_HMS}(?: (?P<off>[+-]\d{{4}}))?"),
        _dated,
    ),
    (re.compile(rf"(?P<year>\d{{4}})/(?P<month>\d{{2}})/(?P<day>\d{{2}})[ T]{_HMS}"), _dated),
    (re.compile(rf"(?P<year>\d{{2}})/(?P<month>\d{{2}})/(?P<day>\d{{2}}) {_HMS}"), _dated),
    (re.compile(rf"{_MON} +(?P<day>\d{{1,2}}) (?P<hms>\d{{2}}:\d{{2}}:\d{{2}})"), _syslog),
    (re.compile(r"(?P<compact>\d{6})[ -](?P<ctime>\d{6})\b"), _compact),
    (re.compile(r"(?P<epoch>1\d{9}(?:\.\d{1,9})?|1\d{12})\b"), _epoch),
)
# A character each of `_TIMES` needs, or "": a cheap test before its search (tests check them).
# Most lines without a time lack `/`; a line without `:` has no time but a compact or epoch one.
_NEEDS: tuple[str, ...] = ("-", ":", "/", "/", "/", ":", "", "1")
_HEAD_CHARS = 80
_LEVEL = re.compile(
    rf"(?:(?<=[\s\[<(|:])|^)(?:(?P<upper>{LEVEL_WORDS_PATTERN})|\[(?P<bracketed>(?i:{LEVEL_WORDS_PATTERN}))\])"
    r"(?=[\]\s:>)|,]|$)"
)
_THREAD = re.compile(r"\[(?P<thread>[^\]]{1,120})\]\s+")
_LOGGER = re.compile(r"(?P<logger>[A-Za-z_][\w$-]*(?:\.[\w$-]+)+|[A-Za-z_][\w$.-]*(?=:\s)):?\s+")
_SEPARATORS = " \t-:|"


def _find_time(line: str, ctx: ParseContext) -> tuple[datetime | None, int, int]:
    head = line[:_HEAD_CHARS]
    for (pattern, reader), needs in zip(_TIMES, _NEEDS, strict=True):
        if needs not in head:  # "" is in every head
            continue
        found = pattern.search(head)
        if found is not None:
            value = reader(found.groupdict(), ctx)
            if value is not None:
                start = found.start()
                end = found.end()
                if start and head[start - 1] == "[" and head[end : end + 1] == "]":
                    start, end = start - 1, end + 1
                return value, start, end
    return None, 0, 0


class GenericParser:
    """Heuristic parser: a record needs a timestamp near the start or a level word early on."""

    name = "generic"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it has neither a timestamp nor a level word in its header."""
        if not line or line[0].isspace():
            return None
        timestamp, start, end = _find_time(line, ctx)
        fields: dict[str, object] = {}
        if timestamp is not None and start:
            fields["prefix"] = line[:start].strip()
        rest = line[end:]
        level_match = _LEVEL.search(rest[:48])
        level = None
        if level_match is not None:
            level = level_from_word(level_match["upper"] or level_match["bracketed"])
            rest = rest[level_match.end() :]
        elif timestamp is None:
            return None
        rest = rest.lstrip(_SEPARATORS)
        logger = None
        if level is not None:
            thread = _THREAD.match(rest)
            if thread is not None:
                fields["thread"] = thread["thread"]
                rest = rest[thread.end() :].lstrip(_SEPARATORS)
            named = _LOGGER.match(rest)
            if named is not None:
                logger = named["logger"]
                rest = rest[named.end() :]
        return Parsed(timestamp=timestamp, level=level, logger=logger, message=rest, fields=fields)
