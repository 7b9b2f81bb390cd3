"""Parsing: Smarty (Microimpuls IPTV/OTT middleware) logs.

Line: `<weekday> <month> <day> <HH:MM:SS><±HHMM> <year> <LEVEL> <module>:<line>
<function>[<pid>.<thread>] <EVENT> <context>` where the context is `key=value` pairs, keys
optionally quoted and values Python literals. Source: the vendor's admin documentation,
section "Logging" (summarised in shared/specs/smarty.md).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
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
# A value's plain start (no quote, bracket or space), then a quoted string that ends the value.
_PLAIN = re.compile(r"[^\s'\"\[{(]*")
_INSIDE = re.compile(r"[^'\"\[\]{}()]*")
_QUOTED = {
    "'": re.compile(r"'(?:[^'\\]|\\[\s\S])*'"),
    '"': re.compile(r'"(?:[^"\\]|\\[\s\S])*"'),
}
# Literals read without `ast.literal_eval` (which parses Python source: ~10 µs for a small list):
# a quoted string without escapes, an int of up to 18 digits written without `_` or leading
# zeros, None/True/False, and flat lists, tuples, sets and dicts of those with only spaces
# between the items. `_literal` gives what `ast.literal_eval` gives for them (tested).
_ATOM = r"""(?:'[^'\\]*'|"[^"\\]*"|-?(?:0|[1-9][0-9]{0,17})|None|True|False)"""
_SIMPLE_STRING = re.compile(r"'[^'\\]*'" "|" r'"[^"\\]*"')
_SIMPLE_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_CONSTANTS = {"None": None, "True": True, "False": False}
_FLAT: dict[str, tuple[tuple[re.Pattern[str], Callable[[list[Any]], Any]], ...]] = {
    "[": ((re.compile(rf"\[ *(?:{_ATOM} *, *)*(?:{_ATOM} *)?\]"), list),),
    "(": ((re.compile(rf"\( *(?:{_ATOM} *, *)+(?:{_ATOM} *)?\)|\( *\)"), tuple),),
    "{": (
        (
            re.compile(rf"\{{ *(?:{_ATOM} *: *{_ATOM} *, *)*(?:{_ATOM} *: *{_ATOM} *)?\}}"),
            lambda values: dict(zip(values[::2], values[1::2], strict=True)),
        ),
        (re.compile(rf"\{{ *{_ATOM} *(?:, *{_ATOM} *)*,? *\}}"), set),
    ),
}
_ATOMS = re.compile(r"""'([^'\\]*)'|"([^"\\]*)"|(-?[0-9]+)|(None|True|False)""")
_CACHE_MAX = 4096
# (mon, day, hms, offset, year) -> the time in UTC: lines share their second.
_TIMES: dict[tuple[str, ...], datetime | None] = {}
_UNSET: Any = object()


def _scan_nested(text: str, start: int) -> int:
    r"""Return the end index of the Python-literal-like value starting at `start`.

    Brackets nest (a closer that does not match the innermost opener is ordinary text), quotes
    hold anything up to the same quote (a `\` escapes the next character), whitespace ends the
    value outside brackets. An unterminated string runs to the end of `text`, or one past it when
    `text` ends in a `\` with nothing left to escape. Regexes jump over strings and over the runs
    between brackets and quotes.
    """
    depth: list[str] = []
    index, end = start, len(text)
    while index < end:
        char = text[index]
        if char in _QUOTED:
            quoted = _QUOTED[char].match(text, index)
            if quoted is None:  # unterminated: an odd run of `\` at the end escapes past it
                tail = len(text) - len(text.rstrip("\\"))
                return end + min(tail, end - index - 1) % 2
            index = quoted.end()
            if not depth:
                return index
            continue
        if char in _CLOSERS:
            depth.append(_CLOSERS[char])
        elif depth and char == depth[-1]:
            depth.pop()
            if not depth:
                return index + 1
        elif not depth and char.isspace():
            return index
        index += 1
        if depth:  # inside brackets only quotes and brackets matter
            index = _INSIDE.match(text, index).end()  # type: ignore[union-attr]
    return index


def _scan_value(text: str, start: int) -> int:
    """`_scan_nested`, with regular expressions for a plain value or one ending in a string."""
    plain = _PLAIN.match(text, start)
    index = plain.end() if plain is not None else start  # it always matches, if only ""
    if index == len(text):
        return index
    char = text[index]
    if char in _QUOTED:
        quoted = _QUOTED[char].match(text, index)
        if quoted is not None:
            return quoted.end()
    elif char not in _CLOSERS:  # whitespace: `_PLAIN` stops only there, at quotes and openers
        return index
    return _scan_nested(text, index)  # nothing open before `index`: the same state


def _atoms(text: str) -> list[Any] | None:
    """The values of the atoms in `text` (a `_FLAT` match); None if a string is not printable."""
    values: list[Any] = []
    for string, other, number, constant in _ATOMS.findall(text):
        if number:
            values.append(int(number))
        elif constant:
            values.append(_CONSTANTS[constant])
        else:
            value = string or other
            if not value.isprintable():
                return None
            values.append(value)
    return values


def _literal(text: str) -> Any:
    """`ast.literal_eval(text)`, or `text` if it is not a literal."""
    if text in _CONSTANTS:
        return _CONSTANTS[text]
    first = text[:1]
    if first in "'\"":
        if _SIMPLE_STRING.fullmatch(text):
            inner = text[1:-1]
            # what is not printable (NUL, a surrogate, a line break…) is left to the parser
            if inner.isprintable():
                return inner
    elif first in _FLAT:
        for pattern, build in _FLAT[first]:
            if pattern.fullmatch(text):
                values = _atoms(text)
                if values is not None:
                    return build(values)
                break
    elif _SIMPLE_INT.fullmatch(text):
        return int(text)
    elif text.isascii() and text.isidentifier():  # a name, not a literal
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _timestamp(mon: str, day: str, hms: str, offset: str, year: str) -> datetime | None:
    month = MONTHS.get(mon.lower())
    try:
        zone = timezone(
            (-1 if offset[0] == "-" else 1)
            * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        )
        hour, minute, second = (int(part) for part in hms.split(":"))
        return datetime(
            int(year), month or 0, int(day), hour, minute, second, tzinfo=zone
        ).astimezone(UTC)
    except (ValueError, TypeError, OverflowError):
        return None


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

    `fields` holds event, context (a dict; left out when `ctx.fields` is False), module, lineno,
    function, pid and thread.
    """

    name = "smarty"
    # first_char: `_LINE` opens with a weekday name
    first_char = r"[FMSTW]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not a Smarty line."""
        found = _LINE.match(line)
        if found is None:
            return None
        key = found.group("mon", "day", "hms", "off", "year")
        timestamp = _TIMES.get(key, _UNSET)
        if timestamp is _UNSET:
            if len(_TIMES) >= _CACHE_MAX:
                _TIMES.clear()
            timestamp = _TIMES[key] = _timestamp(*key)
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
            if ctx.fields:  # most of a line's cost: a scan only matches the message
                fields["context"] = parse_context(message[event.end() :])
        return Parsed(
            timestamp=timestamp,
            level=level_from_word(found["level"]),
            logger=found["module"],
            message=message,
            fields=fields,
        )
