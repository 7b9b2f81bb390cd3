r"""Parsing: quick line classes for lazy scanning — lines that surely start a one-line record.

`quick_pattern(parser)` gives a bytes regex to try at the start of a line inside a buffer of
`\n`-terminated lines. It never looks past the line's `\n`, and on a line of printable ASCII and
tab (the caller checks that) a match means all of:

- `parser.parse(line)` returns a record, not a continuation (the framer starts a record there);
- the record's message is a substring of the line (so a raw-text prefilter sees it);
- parsing the line leaves the parser's state as it was (`PythonLoggingParser` tries the layout
  that matched last first: the pattern is that layout's, and changes with it).

A line it does not match may still start a record: the lazy scan then parses it. Python layouts
use the parser's own expressions, made line-bounded bytes expressions by `line_bytes`; syslog,
access logs and JSON lines use narrower hand-written shapes (faster), with what the parser checks
beyond its expression (a valid date; a flat JSON object). tests/unit/parsing/test_quick.py
checks every pattern against its parser.
"""

from __future__ import annotations

import re

from loghealth.parsing.base import Parser
from loghealth.parsing.json_lines import JsonLinesParser
from loghealth.parsing.python_logging import _VARIANTS, PythonLoggingParser
from loghealth.parsing.syslog import Rfc3164Parser
from loghealth.parsing.web import AccessLogParser

__all__ = ["line_bytes", "quick_pattern"]

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_NEWLINE_CLASSES = frozenset("WD")


def line_bytes(pattern: str) -> bytes:
    r"""Rewrite a `str` pattern so it means the same on one line of printable ASCII and tab.

    The result never matches across a `\n`: `\s` becomes `[ \t]` (the only whitespace such a line
    holds), negated classes exclude `\n`, named groups become plain groups.

    Raises:
        ValueError: the pattern uses `\W` or `\D` (they would match the `\n`).
    """
    source = _NAMED_GROUP.sub("(?:", pattern)
    out: list[str] = []
    in_class = negated = False
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            escape = source[index : index + 2]
            index += 2
            if escape[1:] in _NEWLINE_CLASSES:
                raise ValueError(f"{escape} can match a newline")
            if escape == r"\s":
                out.append(r" \t" if in_class else r"[ \t]")
            else:
                out.append(escape)
            continue
        if not in_class and char == "[":
            in_class = True
            negated = source.startswith("^", index + 1)
            out.append("[^" if negated else "[")
            index += 2 if negated else 1
            if source.startswith("]", index):  # a leading `]` is a literal
                out.append(r"\]")
                index += 1
            continue
        if in_class and char == "]":
            in_class = False
            out.append(r"\n]" if negated else "]")
        else:
            out.append(char)
        index += 1
    return "".join(out).encode("ascii")


def _syslog() -> bytes:
    # BSD: `_RFC3164_NOTAG`'s shape (`PRI? Mmm dd hh:mm:ss HOST `) with a date `from_syslog`
    # accepts in any year (Feb 29 is left to the parser). RFC 3339 (rsyslog's file format):
    # `_RFC3164_ISO` with a TAG and a time `from_iso` reads (years 1900-2099, so converting to
    # UTC cannot overflow). Either way one of the parser's expressions matches with this time, so
    # the line is a record; its message is a group of the line.
    day31 = rb"(?:Jan|Mar|May|Jul|Aug|Oct|Dec) {1,2}(?:0?[1-9]|[12]\d|3[01])"
    day30 = rb"(?:Apr|Jun|Sep|Nov) {1,2}(?:0?[1-9]|[12]\d|30)"
    feb = rb"Feb {1,2}(?:0?[1-9]|1\d|2[0-8])"
    time = rb"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    bsd = rb"(?:" + day31 + b"|" + day30 + b"|" + feb + b") " + time + rb" \S+ "
    date = (
        rb"(?:19|20)\d\d-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])"
        rb"|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))"
    )
    offset = rb"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
    tag = rb" [^ \t:\n]+ [^ \t\[:\n]{1,64}(?:\[[^\] \t\n]{1,32}\])?:"
    iso = date + b"T" + time + rb"(?:\.\d{1,9})?" + offset + tag
    return rb"(?:<\d{1,3}>)?(?:" + bsd + b"|" + iso + b")"


def _access() -> bytes:
    # `_ACCESS` without a vhost, an escaped quote in the request or the optional referer/agent
    # (its tail `(?: referer agent)?.*$` matches whatever follows).
    return rb'[^ \t\[\n]+ \S+ \S+ \[[^\]\n]{10,40}\] "[^"\\\n]*" (?:\d{3}|-) (?:\d+|-)'


def _json_object() -> bytes:
    # A flat JSON object without escapes that `json.loads` reads (numbers short enough to stay
    # finite); a message key holds a string and there is no stack key (the parser would append
    # that text to the message). Duplicate keys: `json.loads` keeps the last; all pass the same.
    text = rb'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'
    number = rb"-?(?:0|[1-9]\d{0,15})(?:\.\d{1,16})?"
    value = rb"(?:" + text + b"|" + number + rb"|true|false|null)"
    colon = rb"[ \t]*:[ \t]*"
    message = rb"msg|message|event|log|text"
    stack = rb"exc_info|exception|stack_trace|stacktrace|traceback|stack|error"
    member = (
        rb'(?:"(?:' + message + b')"' + colon + text
        + rb'|(?!"(?:' + message + b"|" + stack + rb')")' + text + colon + value + b")"
    )  # fmt: skip
    members = member + rb"(?:[ \t]*,[ \t]*" + member + rb")*"
    return rb"[ \t]*\{[ \t]*(?:" + members + rb")?[ \t]*\}[ \t]*$"


_PYTHON = {
    label: line_bytes(pattern.pattern).removesuffix(b"(?:.*)") for label, pattern in _VARIANTS
}
_STATELESS: dict[type, bytes] = {
    Rfc3164Parser: _syslog(),
    AccessLogParser: _access(),
    JsonLinesParser: _json_object(),
}


def quick_pattern(parser: Parser) -> bytes | None:
    """The quick pattern of `parser` in its current state, or None (no quick class for it).

    Compile the result with `re.MULTILINE` and try it at line starts only.
    """
    kind = type(parser)  # exact types: a subclass may parse differently
    if kind is PythonLoggingParser:
        return _PYTHON[parser.layout]  # type: ignore[attr-defined]
    return _STATELESS.get(kind)
