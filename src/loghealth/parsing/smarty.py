"""Parsing: Smarty (Microimpuls IPTV/OTT middleware) logs.

Line: `<weekday> <month> <day> <HH:MM:SS><±HHMM> <year> <LEVEL> <module>:<line>
<function>[<pid>.<thread>] <EVENT> <context>` where the context is `key=value` pairs, keys
optionally quoted and values Python literals. Source: the vendor's admin documentation,
section "Logging" (summarised in shared/specs/smarty.md).
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.levels import level_from_word
from loghealth.parsing.timestamps import MONTHS

__all__ = ["SmartyParser", "parse_context"]

_LINE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) "
    r"(?P<hms>\d{2}:\d{2}:\d{2})(?P<off>[+-]\d{4}) (?P<year>\d{4}) "
    r"(?P<level>[A-Z]+) (?P<module>[^\s:]+):(?P<lineno>\d+) "
    r"(?P<function>[^\s\[]+)\[(?P<pid>\d+)\.(?P<thread>[^\]]*)\]\s?(?P<msg>.*)$"
)
_EVENT = re.compile(r"([A-Z][A-Z0-9_]*[A-Z0-9])(?:\s+|$)")
_KEY = re.compile(r"\s*(?:'([^']*)'|\"([^\"]*)\"|([A-Za-z_][\w.-]*))\s*=\s*")
_CLOSERS = {"[": "]", "{": "}", "(": ")"}
_MAX_CONTEXT = 64 * 1024


def _scan_value(text: str, start: int) -> int:
    """Return the end index of the Python-literal-like value starting at `start`."""
    depth: list[str] = []
    quote: str | None = None
    index = start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
                if not depth:
                    return index + 1
        elif char in "'\"":
            quote = char
        elif char in _CLOSERS:
            depth.append(_CLOSERS[char])
        elif depth and char == depth[-1]:
            depth.pop()
            if not depth:
                return index + 1
        elif not depth and char.isspace():
            return index
        index += 1
    return index


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def parse_context(text: str) -> dict[str, Any]:
    """Parse Smarty's `key=value` context into a dict; unparseable tails go under `_rest`.

    Values are read as Python literals where possible (`'a'`, `42`, `['x']`, `{...}`), else kept as
    the raw text. Never raises.
    """
    context: dict[str, Any] = {}
    position = 0
    text = text[:_MAX_CONTEXT]
    while position < len(text):
        found = _KEY.match(text, position)
        if found is None:
            rest = text[position:].strip()
            if rest:
                context["_rest"] = rest
            break
        key = found.group(1) or found.group(2) or found.group(3) or ""
        end = _scan_value(text, found.end())
        context[key] = _literal(text[found.end() : end])
        position = end
    return context


class SmartyParser:
    """Parser for Smarty lines.

    `fields` holds event, context (a dict), module, lineno, function, pid and thread.
    """

    name = "smarty"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not a Smarty line."""
        found = _LINE.match(line)
        if found is None:
            return None
        month = MONTHS.get(found["mon"].lower())
        offset = found["off"]
        try:
            zone = timezone(
                (-1 if offset[0] == "-" else 1)
                * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
            )
            hour, minute, second = (int(part) for part in found["hms"].split(":"))
            timestamp: datetime | None = datetime(
                int(found["year"]), month or 0, int(found["day"]), hour, minute, second, tzinfo=zone
            ).astimezone(UTC)
        except (ValueError, TypeError):
            timestamp = None
        message = found["msg"]
        fields: dict[str, Any] = {
            "module": found["module"],
            "lineno": int(found["lineno"]),
            "function": found["function"],
            "pid": int(found["pid"]),
            "thread": found["thread"],
        }
        event = _EVENT.match(message)
        if event:
            fields["event"] = event.group(1)
            fields["context"] = parse_context(message[event.end() :])
        return Parsed(
            timestamp=timestamp,
            level=level_from_word(found["level"]),
            logger=found["module"],
            message=message,
            fields=fields,
        )
