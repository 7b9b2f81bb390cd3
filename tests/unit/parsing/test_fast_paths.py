"""Parsers' fast paths give exactly what their general paths (or the code they replaced) give."""

from __future__ import annotations

import ast
import re
import sys
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from loghealth.parsing import ParseContext, generic, python_logging, syslog, web
from loghealth.parsing import timestamps as ts
from loghealth.parsing.base import Parsed
from loghealth.parsing.levels import level_from_word
from loghealth.parsing.python_logging import _VARIANTS, PythonLoggingParser
from loghealth.parsing.smarty import _CLOSERS, _literal, _scan_nested, _scan_value, parse_context
from loghealth.parsing.syslog import Rfc3164Parser

ZONES: list[tzinfo] = [UTC, ZoneInfo("America/New_York"), timezone(timedelta(hours=5, minutes=30))]


def _reference_literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _same(left: Any, right: Any) -> bool:
    return type(left) is type(right) and repr(left) == repr(right)


_TRICKY = [
    "'a\\'b'", '"0"', "012", "1_000", "-0", " 5", "5 ", "'é'", '"é"', "00", "-", "--5", "+5",
    "- 5", "0x1f", "1e3", "3.5", "None", "none", "True ", "Nonesuch", "b'x'", "r'x'", "u'x'",
    "f'x'", "'''x'''", "''", '""', "'", "'\x00'", "'\ud800'", "'a\nb'", "'a\tb'", "'\x85'",
    "'\u2028'", "9" * 18, "9" * 19, "-" + "9" * 18, "[]", "[ ]", "[,]", "[1,]", "[1, 2, ]",
    "(1)", "(1,)", "()", "( )", "(,)", "{}", "{ }", "{1}", "{1,}", "{1, True}",
    "{1: 'a', True: 'b'}", "{'a': 1, 'a': 2}", "['a' 'b']", "['a',\t'b']", "[-0, -5]", "[012]",
    "[1_0]", "{'a:b', 1}", "{'a': [1]}", "[[1]]", "[None, True, False]", "['\x00']",
    "{'k': '\ud800'}", "abc", "if", "lambda", "_", "ℕone", "a.b", "127.0.0.1", "1-2", "1+2j",
    "set()", "{'a', 'b'}", "('x', 'y')",
]  # fmt: skip
_ATOMS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.text(max_size=6).map(repr),
    st.text(alphabet="ab'\" \\\x00é\n", max_size=5).map(lambda text: f"'{text}'"),
    st.sampled_from(["None", "True", "False", "0", "-0", "00", "1_0", "abc", "1.5", "'"]),
)
_SEPARATORS = st.sampled_from([", ", ",", " , ", ": ", " ", ",\t", ":"])


def _container(brackets: str, items: list[tuple[str, str]], tail: str) -> str:
    body = "".join(item + separator for item, separator in items)[:-1]  # drop one character
    return brackets[0] + body + tail + brackets[1]


_LITERALS = st.recursive(
    _ATOMS,
    lambda inner: st.builds(
        _container,
        st.sampled_from(["[]", "()", "{}"]),
        st.lists(st.tuples(inner, _SEPARATORS), max_size=4),
        st.sampled_from(["", ",", " ", ", "]),
    ),
    max_leaves=8,
)


@pytest.mark.parametrize("text", _TRICKY)
def test_smarty_literal_matches_literal_eval_on_tricky_inputs(text: str) -> None:
    assert _same(_literal(text), _reference_literal(text))


@settings(max_examples=600, deadline=None)
@given(st.one_of(_LITERALS, st.text(alphabet="[]{}()',\": 01-9aNTe\\ ", max_size=14)))
def test_smarty_literal_matches_literal_eval(text: str) -> None:
    assert _same(_literal(text), _reference_literal(text))


def _scan_chars(text: str, start: int) -> int:
    """The character loop `_scan_nested` replaced: the reference it must agree with."""
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


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="ab1 =[]{}()'\"\\\t\n\u2003\x85,:", max_size=24), st.integers(0, 5))
@example("'a\\'b' c", 0)
@example("x'a b'c d", 0)
@example("'ab\\", 0)
@example("['a\\", 0)
@example("'a\\\\", 0)
@example("'\\\\\\", 0)
@example("x\\'y", 2)
@example("{'a': [1, (2)], 'b': ']'} c", 0)
def test_smarty_value_scan_matches_the_character_loop(text: str, start: int) -> None:
    start = min(start, len(text))
    assert _scan_value(text, start) == _scan_chars(text, start)
    assert _scan_nested(text, start) == _scan_chars(text, start)


def test_regex_whitespace_is_str_isspace() -> None:
    # `_scan_value`'s regex stops at `\s`, the loop at `str.isspace()`: the same characters.
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert re.findall(r"\s", every) == [char for char in every if char.isspace()]


def test_smarty_context_reads_flat_containers() -> None:
    assert parse_context("'ip'='127.0.0.1' args=['foo', 'bar'] p={'a': '1', 'b': 5} n=None") == {
        "ip": "127.0.0.1",
        "args": ["foo", "bar"],
        "p": {"a": "1", "b": 5},
        "n": None,
    }


# ---------------------------------------------------------------- timestamps
_ZONE_SUFFIXES = [
    "", "Z", "z", " UTC", "UTC", " GMT", "GMT", "+02:00", "-0530", "+01", " +02:00", "+24:00",
    "-00:00", " Z", "+05:30:15", "+05:30:15.5", "+5", "Z ", " ",
]  # fmt: skip
_ISO_TEXTS = st.builds(
    "{}{}-{}-{}{}{}:{}:{}{}{}{}".format,
    st.sampled_from(["", " ", "\t"]),
    st.sampled_from(["2024", "2023", "0001", "9999", "1970", "٢٠٢٤"]),
    st.sampled_from(["01", "02", "03", "10", "11", "12", "13", "00", "1"]),
    st.sampled_from(["01", "28", "29", "30", "31", "00", "5"]),
    st.sampled_from(["T", " ", "t", "_"]),
    st.sampled_from(["00", "01", "02", "03", "23", "24", "12"]),
    st.sampled_from(["00", "30", "59", "60"]),
    st.sampled_from(["00", "59", "60", "5"]),
    st.sampled_from(["", ".1", ",123", ".123456", ".123456789", ",0000001", ".", ".1234567890"]),
    st.sampled_from(_ZONE_SUFFIXES),
    st.sampled_from(["", " ", "\n"]),
)


@settings(max_examples=800, deadline=None)
@given(_ISO_TEXTS, st.sampled_from(ZONES))
@example("2024-12-29 23:59:59,123 Z", UTC)  # fromisoformat: no ` Z` after a fraction
@example("9999-12-31T23:59:59.5-05:30", UTC)  # beyond year 9999 in UTC
@example("0001-01-01 00:30:00", ZONES[2])
def test_from_iso_matches_its_general_path(text: str, tz: tzinfo) -> None:
    expected = ts._from_iso(text, tz)
    assert repr(ts.from_iso(text, tz)) == repr(expected)
    assert repr(ts.from_iso(text, tz)) == repr(expected)  # again, from the cache


def test_from_iso_cache_keeps_zones_apart() -> None:
    for tz in [*ZONES, *ZONES]:
        assert ts.from_iso("2024-03-10 02:30:00,5", tz) == ts._from_iso("2024-03-10 02:30:00,5", tz)


def test_from_iso_outside_the_calendar_is_none() -> None:
    assert ts.from_iso("0001-01-01T00:00:00+02:00", UTC) is None
    assert ts.from_parts(1, 1, 1, "00:00:00", ZONES[2]) is None


def _old_from_parts(
    year: int, month: int, day: int, hms: str, tz: tzinfo, fraction: str = ""
) -> datetime | None:
    try:
        hour, minute, second = (int(part) for part in hms.split(":"))
        micro = int((fraction + "000000")[:6]) if fraction else 0
        naive = datetime(year, month, day, hour, minute, second, micro)  # noqa: DTZ001
        return naive.replace(tzinfo=tz).astimezone(UTC)
    except (ValueError, TypeError):
        return None


def _old_from_yearless(
    month: int, day: int, hms: str, ctx: ParseContext, fraction: str = ""
) -> datetime | None:
    local_now = ctx.now.astimezone(ctx.tz)
    for year in (local_now.year, local_now.year - 1):
        value = _old_from_parts(year, month, day, hms, ctx.tz, fraction)
        if value is not None and value <= ctx.now + timedelta(days=1):
            return value
    return None


@settings(max_examples=500, deadline=None)
@given(
    st.integers(0, 14),
    st.integers(0, 32),
    st.sampled_from(["00:00:00", "23:59:59", "12:30:00", "24:00:00", "1:2:3", "12:00", "a:b:c"]),
    st.sampled_from(["", "5", "123", "1234567"]),
    st.sampled_from(ZONES),
    st.sampled_from(
        [datetime(2026, 1, 1, 3, tzinfo=UTC), datetime(2024, 2, 28, 23, 30, tzinfo=UTC)]
    ),
)
def test_from_parts_and_from_yearless_match_the_old_code(
    month: int, day: int, hms: str, fraction: str, tz: tzinfo, now: datetime
) -> None:
    ctx = ParseContext(tz=tz, now=now)
    parts = (2024, month, day, hms, tz, fraction)
    assert repr(ts.from_parts(*parts)) == repr(_old_from_parts(*parts))
    assert repr(ts.from_yearless(month, day, hms, ctx, fraction)) == repr(
        _old_from_yearless(month, day, hms, ctx, fraction)
    )


# ---------------------------------------------------------------- python logging
class _OldPythonLogging:
    """The parser before its one-regex rejection: every layout in MRU order."""

    def __init__(self) -> None:
        self.order = list(_VARIANTS)

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        for index, (label, pattern) in enumerate(self.order):
            found = pattern.match(line)
            if found is None:
                continue
            if index:
                self.order.insert(0, self.order.pop(index))
            groups = found.groupdict()
            ts_text = groups.get("ts")
            fields: dict[str, object] = {"layout": label}
            if groups.get("pid"):
                fields["pid"] = int(groups["pid"])
            if groups.get("trace_id"):
                fields["trace_id"] = groups["trace_id"]
            return Parsed(
                timestamp=ts._from_iso(ts_text, ctx.tz) if ts_text else None,
                level=level_from_word(groups["level"]),
                logger=groups.get("logger")
                or {"gunicorn": "gunicorn", "uvicorn": "uvicorn"}.get(label),
                message=groups["msg"],
                fields=fields,
            )
        return None


_SHAPES = [
    "{ts} {lv} {nm}: {m}", "{ts} {lv} [{nm}] [x] {m}", "{ts} {lv} [{nm}] {m}",
    "{ts} {lv} [t-1] com.x.Y: {m}", "{ts} - {nm} - {lv} - {m}", "{ts} - {lv} - {nm} - {m}",
    "{ts} [{lv}] {nm}: {m}", "[{ts}] [{lv}] {m}", "{ts} | {lv} | {nm} | {m}",
    "[{lv}] {ts} {nm}: {m}",
    "[{lv}] {m}", "[{ts}] [12] [{lv}] {m}", "{lv}:{nm}:{m}", "{lv}:     {m}", "{lv}: {m}",
    "Traceback (most recent call last):", '  File "x.py", line 3, in f', "ValueError: boom",
    "{ts} {m}", "", "٢٠٢٤-01-01 00:00:00 {lv} {nm}: {m}", "{ts}  {lv}  {nm}:{m}",
]  # fmt: skip
_PYTHON_LINES = st.builds(
    lambda shape, ts_text, level, name, message: shape.format(
        ts=ts_text, lv=level, nm=name, m=message
    ),
    st.sampled_from(_SHAPES),
    st.sampled_from(["2024-05-01 10:00:00,123", "2024-05-01T10:00:00Z", "2024-02-30 10:00:00"]),
    st.sampled_from(["DEBUG", "INFO", "WARN", "NOTSET", "info", "NOTICE"]),
    st.sampled_from(["app", "app.db", "a-b", "9x", "com.example.Foo"]),
    st.sampled_from(["hello", "", "a: b - c | d"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PYTHON_LINES, st.text(max_size=12)), max_size=30))
def test_python_logging_matches_the_layout_loop(lines: list[str]) -> None:
    ctx = ParseContext.default()
    parser, old = PythonLoggingParser(), _OldPythonLogging()
    for line in lines:
        assert repr(parser.parse(line, ctx)) == repr(old.parse(line, ctx))
        assert parser.layout == old.order[0][0]


# ---------------------------------------------------------------- generic, access log
_TIME_PIECES = st.sampled_from(
    ["2024-05-01", "2024/05/01", "24/05/01", "01/May/2024", "Wed May", " 1 ", "10:00:00", ",123",
     "+0000", " ", "T", "-", ":", "/", "240501", "1714557600", ".5", "INFO", "[", "]", "x"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_TIME_PIECES, max_size=10).map("".join))
def test_generic_time_patterns_need_their_character(head: str) -> None:
    for (pattern, _), needs in zip(generic._TIMES, generic._NEEDS, strict=True):
        if pattern.search(head) is not None:
            assert needs in head


def test_access_log_expression_needs_bracket_space_quote() -> None:
    # `AccessLogParser.parse` first tests for `] "`: the expression has it, with a group between
    assert r"\] (?P<msg>\"" in web._ACCESS.pattern


@settings(max_examples=300, deadline=None)
@given(st.one_of(_PYTHON_LINES, st.text(max_size=12)))
def test_python_logging_any_layout_matches_where_some_layout_does(line: str) -> None:
    # `_ANY` shares the timestamp of the layouts that open with one: the same lines match
    expected = any(pattern.match(line) is not None for _, pattern in _VARIANTS)
    assert (python_logging._ANY.match(line) is not None) == expected


# ---------------------------------------------------------------- syslog
_SYSLOG_LINES = st.builds(
    "{}{}{} {}{}".format,
    st.sampled_from(["", "<34>", "<999>", "<x>"]),
    st.sampled_from(["May  1 10:00:00", "Dec 31 23:59:59", "2024-05-01T10:00:00Z", "٢٠٢٤", "m"]),
    st.sampled_from(["", " web01", " h:x"]),
    st.sampled_from(["sshd[12]:", "su:", "kernel", "a b"]),
    st.sampled_from(["", " msg", "  x: y"]),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_SYSLOG_LINES, st.text(max_size=12)))
def test_syslog_tries_only_the_expressions_that_may_match(line: str) -> None:
    # `Rfc3164Parser.parse` picks the expressions by the first character; all three in turn:
    found = (
        syslog._RFC3164.match(line)
        or syslog._RFC3164_ISO.match(line)
        or syslog._RFC3164_NOTAG.match(line)
    )
    parsed = Rfc3164Parser().parse(line, ParseContext.default(now=datetime(2024, 6, 1, tzinfo=UTC)))
    if found is None:
        assert parsed is None
    elif parsed is not None:  # None: not a valid time
        assert (parsed.logger, parsed.message) == (found.groupdict().get("tag"), found["msg"])
