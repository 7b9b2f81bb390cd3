"""Quick patterns: a line they match surely starts a one-line record that holds its message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loghealth.parsing import ParseContext, create_parser
from loghealth.parsing.python_logging import _VARIANTS, PythonLoggingParser
from loghealth.parsing.quick import line_bytes, quick_pattern

FORMATS = ("python_logging", "syslog_rfc3164", "clf", "json_lines")
CTX = ParseContext.default()
PRINTABLE = re.compile(r"[\t\x20-\x7e]*")

SEEDS = [
    "2026-01-01 00:00:00,564 - uvicorn.access - DEBUG - session user id=636296 took 861ms",
    "2026-01-01 00:00:00,564 - ERROR - app - x",
    "2024-05-01 10:00:00,123 ERROR app.db: database is locked",
    "2024-05-01 10:00:00 INFO [app] [abc123] started",
    "2024-05-01T10:00:00Z | WARNING | app | slow",
    "[ERROR] 2024-05-01 10:00:00 app: boom",
    "[2024-05-01 10:00:00 +0000] [12] [INFO] Starting gunicorn 21.2.0",
    "ERROR:app.db:database is locked",
    "INFO:     Application startup complete.",
    "Jan 01 00:00:00 host2 dhclient[5813]: Accepted publickey for deploy",
    "Feb 29 10:00:00 host sshd: leap day",
    "Feb 30 10:00:00 host sshd: no such day",
    "Apr 31 10:00:00 host x: no such day",
    "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
    "<999>Oct 11 22:14:15 mymachine su: bad priority",
    "Dec  9 24:00:00 host kernel: bad hour",
    "Mar  1 23:59:59 host message without a tag",
    "2024-05-01T10:00:00.123456+02:00 web1 nginx[812]: connect() failed",
    "<13>2024-02-29T10:00:00Z host cron: leap day",
    "2023-02-29T10:00:00Z host cron: no such day",
    "0000-01-01T00:00:00+05:00 host x: year zero",
    "2024-13-01T10:00:00Z host x: month 13",
    "2024-05-01T10:00:00+24:00 host x: bad offset",
    "2024-05-01T10:00:00.1234567891Z host x: long fraction",
    '10.0.19.87 - - [01/Jan/2026:00:00:00 +0000] "GET /api HTTP/1.1" 200 1874 "-" "Mozilla/5.0"',
    '10.0.0.1 - - [99/Foo/2026:00:00:00 +0000] "GET / HTTP/1.1" 502 - "-" "-"',
    'host:80 10.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /x\\"y HTTP/1.1" 500 1',
    '{"timestamp": "2026-01-01T00:00:00Z", "level": "error", "event": "worker processed"}',
    '{"level": 50, "msg": "boom", "time": 1714557600000}',
    '{"msg": 5, "level": "error"}',
    '{"msg": "a", "error": "Traceback (most recent call last):"}',
    '{"message": "", "text": "second", "level": 1e999}',
    '{"msg": "x", "msg": 1}',
    '{"a": {"b": 1}, "msg": "nested"}',
    '  {"msg": "indented"}  ',
    "[]",
    "Traceback (most recent call last):",
    '  File "/app/x.py", line 3, in <module>',
    "",
    "   ",
]


def _quick(parser: object) -> re.Pattern[bytes] | None:
    source = quick_pattern(parser)  # type: ignore[arg-type]
    return None if source is None else re.compile(source, re.MULTILINE)


def _check(fmt: str, line: str, parser: object | None = None) -> bool:
    """Assert the quick-pattern contract for one line; return whether it matched."""
    parser = parser or create_parser(fmt)
    quick = _quick(parser)
    if quick is None or not PRINTABLE.fullmatch(line):
        return False
    data = b"\n" + line.encode() + b"\n" + b"2024-05-01 10:00:00 - next - INFO - line\n"
    if quick.match(data, 1) is None:
        return False
    state = getattr(parser, "layout", None)
    parsed = parser.parse(line, CTX)  # type: ignore[attr-defined]
    assert parsed is not None, (fmt, line)
    assert not parsed.continuation
    assert parsed.message in line, (fmt, line, parsed.message)
    assert getattr(parser, "layout", None) == state
    return True


def test_line_bytes_keeps_each_match_on_its_line() -> None:
    assert line_bytes(r"(?P<a>\s+)[^\]\s]x[\s,]") == rb"(?:[ \t]+)[^\] \t\n]x[ \t,]"
    assert line_bytes(r"[^]x]") == rb"[^\]x\n]"
    with pytest.raises(ValueError, match="newline"):
        line_bytes(r"\W")


@pytest.mark.parametrize("fmt", FORMATS)
def test_seed_lines_keep_the_contract(fmt: str) -> None:
    matched = [line for line in SEEDS if _check(fmt, line)]
    assert matched, f"{fmt}: no seed line is quick"


def _python_at(label: str) -> PythonLoggingParser:
    parser = PythonLoggingParser()
    while parser.layout != label:  # bring `label` to the front, as parsing a line of it would
        parser._order.append(parser._order.pop(0))
    return parser


def _parsers() -> list[tuple[str, object]]:
    python = [("python_logging", _python_at(label)) for label, _ in _VARIANTS]
    return [*python, *((fmt, create_parser(fmt)) for fmt in FORMATS[1:])]


@pytest.mark.parametrize("label", [label for label, _ in _VARIANTS])
def test_each_python_layout_pattern_follows_its_layout(label: str) -> None:
    for line in SEEDS:
        _check("python_logging", line, _python_at(label))


_PIECES = st.sampled_from(
    [*"0123456789 -:[]{}\",.|<>TZ+/\t\\", "ERROR", "INFO", "app", "Jan", "Feb", "29", "30",
     "31", "2024-05-01", "10:00:00", ",123", "msg", "error", "event", "true", "null", "1e5"]
)  # fmt: skip


@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 120), _PIECES), max_size=4))
@settings(max_examples=400, deadline=None)
def test_mutated_lines_keep_the_contract(seed: str, edits: list[tuple[int, str]]) -> None:
    line = seed
    for position, piece in edits:
        line = line[:position] + piece + line[position + 1 :]
    for fmt, parser in _parsers():
        _check(fmt, line, parser)


def test_real_logs_keep_the_contract(shared_data: Path) -> None:
    matched = dict.fromkeys(FORMATS, 0)
    for path in sorted(p for p in shared_data.rglob("*") if p.is_file()):
        if path.stat().st_size > 2_000_000:
            continue
        lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
        for fmt, parser in _parsers():
            matched[fmt] += sum(_check(fmt, line, parser) for line in lines[:3000])
    assert all(matched.values()), matched
