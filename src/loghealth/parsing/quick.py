r"""Parsing: quick line classes for lazy scanning — lines that surely start a one-line record.

`quick_pattern(parser)` gives a bytes regex to try at the start of a line inside a buffer of
`\n`-terminated lines. It never looks past the line's `\n`, and on a line of printable ASCII and
tab (the caller checks that) a match means all of:

- `parser.parse(line)` returns a record, not a continuation (the framer starts a record there);
- the record's message is a substring of the line (so a raw-text prefilter sees it);
- parsing the line leaves the parser's state as it was (`PythonLoggingParser` and `Log4jParser`
  try the layout that matched last first: the pattern is that layout's, and changes with it).

A line it does not match may still start a record: the lazy scan then parses it. Most patterns
are the parser's own expressions, made line-bounded bytes expressions by `line_bytes` and cut
before the message (`_derived`), narrowed where the parser checks more than its expression or
would raise; syslog, access logs, logfmt and JSON use narrower hand-written shapes (faster).
Docker json-file has none: its inner line goes through the stateful per-line chain.
tests/unit/parsing/test_quick.py checks every pattern against its parser.
"""

from __future__ import annotations

import re

from loghealth.parsing.base import Parser
from loghealth.parsing.containers import JournaldJsonParser
from loghealth.parsing.json_lines import JsonLinesParser
from loghealth.parsing.jvm import _LAYOUTS, Log4jParser
from loghealth.parsing.levels import LEVEL_WORDS_PATTERN
from loghealth.parsing.logfmt import LogfmtParser
from loghealth.parsing.native import _GLOG, _THREADTIME, _TIME_LAYOUT, GlogParser, LogcatParser
from loghealth.parsing.oslo import _LINE as _OSLO
from loghealth.parsing.oslo import OsloParser
from loghealth.parsing.python_logging import _VARIANTS, PythonLoggingParser
from loghealth.parsing.servers import (
    _MYSQL,
    _MYSQL_GENERAL,
    _PG,
    _PG_ATTACHED,
    _REDIS,
    _REDIS_SIGNAL,
    MysqlParser,
    PostgresParser,
    RedisParser,
)
from loghealth.parsing.smarty import _LINE as _SMARTY
from loghealth.parsing.smarty import SmartyParser
from loghealth.parsing.syslog import _RFC5424, Rfc3164Parser, Rfc5424Parser
from loghealth.parsing.web import (
    _APACHE,
    _NGINX,
    AccessLogParser,
    ApacheErrorParser,
    NginxErrorParser,
)
from loghealth.parsing.zeek import _DATA as _ZEEK_DATA
from loghealth.parsing.zeek import ZeekParser

__all__ = ["depends_on_state", "line_bytes", "marks_continuations", "quick_pattern"]

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_NEWLINE_CLASSES = frozenset("WD")
_SAFE_YEAR = "(?!0001|9999)"
"""Before a year: `from_iso` and `from_parts` raise OverflowError moving years 1 and 9999 to UTC."""
_TIMES = ("(?P<ts>", "(?P<year>", "(?P<date>")


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


def _derived(
    pattern: str, tail: str, end: str = "", edits: tuple[tuple[str, str], ...] = ()
) -> bytes:
    """`line_bytes(pattern)` with `tail` (the message: it matches any rest) replaced by `end`.

    `edits` narrow the pattern (each old text must occur). Every year skips 1 and 9999; a group
    of digits read with `int` takes at most 4000 (`int` refuses more than 4300) — an optional
    such group needs an edit, or the pattern could skip what the parser reads.

    Raises:
        ValueError: `tail` or an edit's old text is not in the pattern (the parser changed).
    """
    if not pattern.endswith(tail):
        raise ValueError(f"{pattern!r} does not end in {tail!r}")
    source = pattern[: len(pattern) - len(tail)] + end
    for old, new in edits:
        if old not in source:
            raise ValueError(f"{old!r} is not in {pattern!r}")
        source = source.replace(old, new)
    for group in _TIMES:
        source = source.replace(group, group + _SAFE_YEAR)
    return line_bytes(source).replace(rb"(?:\d+)", rb"(?:\d{1,4000})")


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


_JSON_TEXT = rb'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'
_JSON_NUMBER = rb"-?(?:0|[1-9]\d{0,15})(?:\.\d{1,16})?"


def _flat_object(message: bytes, banned: bytes, text: bytes = _JSON_TEXT) -> bytes:
    # A flat JSON object without escapes that `json.loads` reads (numbers short enough to stay
    # finite) where every `message` key holds a `text` and no `banned` key occurs. Duplicate
    # keys: `json.loads` keeps the last; all pass the same checks.
    value = rb"(?:" + text + b"|" + _JSON_NUMBER + rb"|true|false|null)"
    colon = rb"[ \t]*:[ \t]*"
    names = message + b"|" + banned if banned else message
    member = (
        rb'(?:"(?:' + message + b')"' + colon + text
        + rb'|(?!"(?:' + names + rb')")' + text + colon + value + b")"
    )  # fmt: skip
    members = member + rb"(?:[ \t]*,[ \t]*" + member + rb")*"
    return rb"[ \t]*\{[ \t]*(?:" + members + rb")?[ \t]*\}[ \t]*$"


def _json_object() -> bytes:
    # A message key holds a string and there is no stack key (the parser would append that text
    # to the message).
    message = rb"msg|message|event|log|text"
    stack = rb"exc_info|exception|stack_trace|stacktrace|traceback|stack|error"
    return _flat_object(message, stack)


def _journald() -> bytes:
    # The marker anywhere (as the parser looks for it) and a MESSAGE key (outside strings, which
    # hold no quote, `"MESSAGE":` is a key) holding a string, the message unchanged. A string
    # starts with fewer than 300 digits: the parser reads digit strings with `int` and divides.
    text = rb'"(?![0-9]{300})[\x20\x21\x23-\x5b\x5d-\x7e]*"'
    marker = rb'(?=[^\n]*"__REALTIME_TIMESTAMP")(?=[^\n]*"MESSAGE"[ \t]*:)'
    return marker + _flat_object(b"MESSAGE", b"", text)


def _logfmt() -> bytes:
    # `_LINE` in full (no leading blank) with no backslash in a quoted value, so no value is
    # unescaped and the message (a value, or the line stripped) is in the line. The first key
    # ends within 64 characters, the line within 64 KiB, a level or message key is a pair's key
    # (pairs split one way only), a time key's value is no year 1 or 9999 (`from_iso` would
    # raise). Possessive: a pair has one reading, so giving one back never helps. (65,537 is
    # written 65,535 + 2: PCRE2, which runs these patterns in the lazy scan, counts to 65,535.)
    key = rb"[\w.\-/@]"
    value = rb'=(?:"[^"\\\n]*"|[^ \t"\n]*)'
    time = rb'(?!(?:time|ts|t|timestamp|date)="?[ \t]*(?:0001|9999))'
    pair = time + key + b"+" + value
    wanted = rb"(?:level|lvl|severity|loglevel|msg|message|event)="
    return (
        rb"(?![^\n]{65535}[^\n]{2})(?=(?:" + pair + rb"[ \t]+)*?" + wanted + b")"
        + time + key + b"{1,63}" + value + rb"(?:[ \t]+" + pair + rb")++[ \t]*$"
    )  # fmt: skip


def _postgres() -> bytes:
    # `_PG` with the level at the first place one occurs (its prefix is lazy) and not one of the
    # lines the parser returns as continuations. The zone is atomic: the parser tries the first
    # zone reading first, and with it the first level must be ours.
    found = re.search(r"\(\?P<level>([^()]*(?:\[[^\]]*\][^()]*)*)\)", _PG.pattern)
    if found is None:
        raise ValueError("no level group in _PG")
    words = found[1].split("|")
    kept = "|".join(word for word in words if word not in _PG_ATTACHED)
    zone = re.search(r"\(\?: \?\(\?P<zone>.*?\)\)\?", _PG.pattern)
    if zone is None:
        raise ValueError("no zone group in _PG")
    prefix = "(?P<prefix>[^\\n]{0,160}?)"
    return _derived(
        _PG.pattern,
        "(?P<msg>.*)$",
        edits=(
            (found[0], f"(?P<level>{kept})"),
            (zone[0], f"(?>{zone[0]})"),
            (prefix, f"(?P<prefix>(?:(?![ :](?:{found[1]}): )[^\\n]){{0,160}}?)"),
        ),
    )


def _apache() -> bytes:
    # `_APACHE` (not CUPS) with a level word `_apache_level` knows; pid and tid short enough.
    words = LEVEL_WORDS_PATTERN.lower()
    return _derived(
        _APACHE.pattern,
        r"(?: \[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\])? ?(?P<msg>.*)$",
        r"(?! \[pid (?:\d+:tid )?\d{4001})",
        ((r"(?P<level>[a-z]+\d?)", rf"(?P<level>trace[a-z]*\d?|{words}|[cdefivw])"),),
    )


def _either(*patterns: bytes) -> bytes:
    # For parsers that try expressions in turn, each giving a record with its message group.
    return b"|".join(b"(?:" + pattern + b")" for pattern in patterns)


_MSG = "(?P<msg>.*)$"
_PYTHON = {label: _derived(pattern.pattern, "(?P<msg>.*)") for label, pattern in _VARIANTS}
_LOG4J = {label: _derived(pattern.pattern, "(?P<msg>.*)") for label, pattern in _LAYOUTS}
_STATELESS: dict[type, bytes] = {
    SmartyParser: _derived(_SMARTY.pattern, r"\s?(?P<msg>.*)$"),
    Rfc5424Parser: _derived(_RFC5424.pattern, "(?: (?P<msg>.*))?$", "(?: |$)"),
    Rfc3164Parser: _syslog(),
    AccessLogParser: _access(),
    NginxErrorParser: _derived(_NGINX.pattern, r"(?:\*(?P<cid>\d+) )?" + _MSG, r"(?!\*\d{4001})"),
    ApacheErrorParser: _apache(),
    LogfmtParser: _logfmt(),
    GlogParser: _derived(_GLOG.pattern, _MSG),
    MysqlParser: _either(_derived(_MYSQL.pattern, _MSG), _derived(_MYSQL_GENERAL.pattern, _MSG)),
    RedisParser: _either(_derived(_REDIS.pattern, _MSG), _derived(_REDIS_SIGNAL.pattern, _MSG)),
    LogcatParser: _either(
        _derived(_THREADTIME.pattern, _MSG), _derived(_TIME_LAYOUT.pattern, _MSG)
    ),
    ZeekParser: _derived(_ZEEK_DATA.pattern, ""),
    JsonLinesParser: _json_object(),
    JournaldJsonParser: _journald(),
}

_FOLDING: dict[type, bytes] = {
    PostgresParser: _postgres(),
    OsloParser: _derived(
        _OSLO.pattern, r"(?:\[(?P<context>[^\]]*)\] )?" + _MSG, r"\[(?P<context>[^\]]*)\] "
    ),
}
"""Stateless parsers that return a continuation for lines `framing.is_continuation_line` does
not flag (PostgreSQL `STATEMENT:`/`DETAIL:` lines, oslo.log traceback lines without context):
the lazy scan asks them (`marks_continuations`) whether an unsure line folds into the record
above."""


def marks_continuations(parser: Parser) -> bool:
    """True when `parser.parse` may return a continuation and calling it changes no state."""
    return type(parser) in _FOLDING


def depends_on_state(parser: Parser) -> bool:
    """True when `quick_pattern(parser)` changes as the parser parses (its layout order)."""
    return type(parser) in (PythonLoggingParser, Log4jParser)


def quick_pattern(parser: Parser) -> bytes | None:
    """The quick pattern of `parser` in its current state, or None (no quick class for it).

    Compile the result with `re.MULTILINE` and try it at line starts only.
    """
    kind = type(parser)  # exact types: a subclass may parse differently
    if kind is PythonLoggingParser:
        return _PYTHON[parser.layout]  # type: ignore[attr-defined]
    if kind is Log4jParser:
        return _LOG4J[parser.layout]  # type: ignore[attr-defined]
    return _STATELESS.get(kind) or _FOLDING.get(kind)
