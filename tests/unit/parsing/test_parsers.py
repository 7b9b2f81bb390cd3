"""Parser details that goldens do not pin: time zones, years, levels, Smarty context."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from loghealth.model import Level
from loghealth.parsing import ParseContext, create_parser, detect_format, resolve_timezone
from loghealth.parsing.smarty import parse_context

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def test_naive_timestamps_are_read_in_the_given_zone() -> None:
    ctx = ParseContext(tz=ZoneInfo("Europe/Berlin"), now=NOW)
    parsed = create_parser("python_logging").parse("2024-05-01 10:00:00,000 INFO a: b", ctx)
    assert parsed is not None
    assert parsed.timestamp == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_syslog_without_year_never_lands_in_the_future() -> None:
    ctx = ParseContext(tz=UTC, now=datetime(2024, 1, 2, tzinfo=UTC))
    parsed = create_parser("syslog_rfc3164").parse("Dec 31 23:00:00 h app: x", ctx)
    assert parsed is not None and parsed.timestamp == datetime(2023, 12, 31, 23, tzinfo=UTC)


def test_smarty_time_keeps_its_offset() -> None:
    line = "Fri Mar 24 10:22:35+0300 2017 ERROR api:1 f[1.T] X_ERROR 'a'=1"
    parsed = create_parser("smarty").parse(line, ParseContext.default())
    assert parsed is not None
    assert parsed.timestamp == datetime(2017, 3, 24, 7, 22, 35, tzinfo=UTC)
    assert parsed.level is Level.ERROR


def test_smarty_context_reads_python_literals() -> None:
    context = parse_context(
        "'ip'='127.0.0.1' args=['foo', 'bar'] n=3 d={'k': [1, 2]} s=\"x y\" bare=abc"
    )
    assert context == {
        "ip": "127.0.0.1",
        "args": ["foo", "bar"],
        "n": 3,
        "d": {"k": [1, 2]},
        "s": "x y",
        "bare": "abc",
    }


def test_smarty_context_keeps_unparseable_rest() -> None:
    assert parse_context("free text here") == {"_rest": "free text here"}


def test_a_scan_context_leaves_out_only_what_nothing_reads() -> None:
    line = "Fri Mar 24 10:22:35+0300 2017 ERROR api:1 f[1.T] X_ERROR 'a'=1 b=[2, 3]"
    full = create_parser("smarty").parse(line, ParseContext(tz=UTC, now=NOW))
    scan = create_parser("smarty").parse(line, ParseContext(tz=UTC, now=NOW, fields=False))
    assert full is not None and scan is not None
    assert full.fields.pop("context") == {"a": 1, "b": [2, 3]}
    assert scan == full  # the same record, without the context dict


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ('{"level": 30, "msg": "x"}', Level.INFO),
        ('{"level": 60, "msg": "x"}', Level.CRITICAL),
        ('{"levelno": 40, "msg": "x"}', Level.ERROR),
        ('{"severity": "WARNING", "message": "x"}', Level.WARNING),
    ],
)
def test_json_levels(line: str, level: Level) -> None:
    parsed = create_parser("json_lines").parse(line, ParseContext.default())
    assert parsed is not None and parsed.level is level


def test_detection_is_deterministic_and_prefers_specific_formats() -> None:
    lines = ["2024-05-01 10:00:00,000 INFO a: b"] * 5
    first = detect_format(lines, ParseContext.default())
    assert first == detect_format(lines, ParseContext.default())
    assert first.format == "python_logging"
    assert first.scores["generic"] == 1.0


def test_unknown_timezone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        resolve_timezone("Mars/Olympus")
