"""Framing and bad input: tracebacks fold, nothing crashes, no line is lost."""

from __future__ import annotations

import dataclasses
import gzip
import re
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from loghealth.model import Level, LogRecord
from loghealth.parsing import PARSER_NAMES, Framer, ParseContext, create_parser, parse_lines
from loghealth.parsing.base import Parsed
from loghealth.parsing.framing import _new_record, folds_quietly, frame_records
from loghealth.rules.loader import load_catalog
from loghealth.runtime import ScanOptions
from loghealth.runtime.scan import iter_source_records
from loghealth.sources import FileInput

CTX = ParseContext(tz=UTC, now=datetime(2024, 6, 1, tzinfo=UTC), source="t.log")
OPTIONS = ScanOptions(tz=UTC, now=datetime(2024, 6, 1, tzinfo=UTC))


def _records(path: Path) -> list:
    _, records = iter_source_records(FileInput(str(path), path, path.stat().st_size), OPTIONS)
    return list(records)


def test_python_traceback_and_chained_exception_fold_into_one_record() -> None:
    lines = [
        "2024-05-01 10:00:00,000 ERROR app: boom",
        "Traceback (most recent call last):",
        '  File "a.py", line 1, in <module>',
        "KeyError: 'x'",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        '  File "a.py", line 3, in <module>',
        "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked",
        "[SQL: INSERT INTO jobs VALUES (?)]",
        "2024-05-01 10:00:01,000 INFO app: next",
    ]
    records = parse_lines(lines, CTX)
    assert [r.line for r in records] == [1, 12]
    assert "database is locked" in records[0].message
    assert records[0].message.endswith("[SQL: INSERT INTO jobs VALUES (?)]")
    assert records[0].level is Level.ERROR


def test_java_stack_trace_folds_and_next_plain_line_is_kept_raw() -> None:
    lines = [
        "2024-05-01 10:00:00,000 ERROR [main] com.example.App: failed",
        "java.net.NoRouteToHostException: No route to host",
        "\tat java.base/sun.nio.ch.Net.connect0(Native Method)",
        "Caused by: java.io.IOException: boom",
        "\t... 3 more",
        "hello world",
    ]
    records = parse_lines(lines, CTX)
    assert len(records) == 2
    assert "NoRouteToHostException" in records[0].message
    assert records[1].is_unparsed and records[1].message == "hello world"


def test_empty_file_gives_no_records(tmp_path: Path) -> None:
    path = tmp_path / "empty.log"
    path.write_bytes(b"")
    assert _records(path) == []


def test_ten_megabyte_line_is_one_record(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"2024-05-01 10:00:00,000 ERROR app: " + b"x" * 10_000_000 + b"\nnext\n")
    records = _records(path)
    assert len(records) == 2
    assert len(records[0].message) == 10_000_000


def test_gzip_files_are_read_by_content(tmp_path: Path) -> None:
    path = tmp_path / "app.log.1"
    path.write_bytes(gzip.compress(b"2024-05-01 10:00:00,000 ERROR app: compressed\n"))
    records = _records(path)
    assert [r.message for r in records] == ["compressed"]


def test_every_line_is_accounted_for(tmp_path: Path) -> None:
    lines = [
        "2024-05-01 10:00:00,000 INFO app: a",
        "garbage",
        "",
        "more garbage",
        "2024-05-01 10:00:01,000 INFO app: b",
    ]
    path = tmp_path / "x.log"
    path.write_text("\n".join(lines))
    records = _records(path)
    assert [r.line for r in records] == [1, 2, 4, 5]
    assert sum(r.is_unparsed for r in records) == 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=8))
def test_parsers_never_raise(lines: list[str]) -> None:
    for name in PARSER_NAMES:
        parser = create_parser(name)
        for line in lines:
            parser.parse(line, CTX)
    records = parse_lines(lines, CTX)
    non_blank = [line for line in lines if line.strip()]
    assert len(records) <= len(non_blank)
    for record in records:
        assert record.timestamp is None or record.timestamp.tzinfo is not None


def test_a_number_too_long_for_int_never_ends_a_scan() -> None:
    """`int()` refuses over 4,300 digits (CPython 3.11+): such a line is another parser's or raw."""
    from loghealth.parsing import detect_format
    from loghealth.parsing.framing import frame_records
    from tests.unit.parsing.test_quick import SEEDS

    lines = [  # each run of digits in each seed line, in turn, made 5,000 digits long
        seed[: run.start()] + "9" * 5_000 + seed[run.end() :]
        for seed in SEEDS
        for run in re.finditer(r"\d+", seed)
    ]
    assert len(lines) > 200
    for name in PARSER_NAMES:
        parser, fallback = create_parser(name), create_parser("generic")
        for line in lines:
            assert len(list(frame_records([line], parser, CTX, fallback))) == 1, (name, line[:80])
    detect_format(lines, CTX)


_FOLDABLE = st.sampled_from(
    [
        "",
        "   ",
        "Traceback (most recent call last):",
        '  File "/app/x.py", line 3, in <module>',
        "ValueError: bad",
        "plain text",
        "goroutine 7 [running]:",
        "2026-03-14 08:00:00,000 - app - INFO - a record",
        "Mar 14 08:00:00 host sshd[1]: a record",
        "... 12 more",
        "}",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    log_format=st.sampled_from(["python_logging", "syslog_rfc3164", "json_lines", "postgres"]),
    lines=st.lists(_FOLDABLE, max_size=8),
)
def test_lines_that_fold_quietly_are_folded_by_the_framer(
    log_format: str, lines: list[str]
) -> None:
    ctx = ParseContext(tz=UTC, now=datetime(2026, 6, 1, tzinfo=UTC), source="x")
    parser = create_parser(log_format)
    opener = {
        "python_logging": "2026-03-14 08:00:00,000 - app - ERROR - failed",
        "syslog_rfc3164": "Mar 14 08:00:00 host app[1]: failed",
        "json_lines": '{"level": "error", "msg": "failed"}',
        "postgres": "2026-03-14 08:00:00.000 UTC [1] ERROR:  failed",
    }[log_format]
    quiet = folds_quietly(parser, ctx, lines)
    framer = Framer(create_parser(log_format), ctx, create_parser("generic"))
    assert framer.push(opener) is None
    completed = [framer.push(line) for line in lines]
    if quiet:
        assert completed == [None] * len(lines)  # nothing completed: all folded or skipped
        record = framer.flush()
        assert record is not None
        assert record.line == 1  # the opener's record, with every line folded in or skipped


def test_records_are_built_as_log_record_builds_them() -> None:
    # `_new_record` sets the slots itself: it must give the very record `LogRecord(...)` gives
    assert not hasattr(LogRecord, "__post_init__")
    parsed = Parsed(datetime(2024, 5, 1, tzinfo=UTC), Level.ERROR, "app", "boom", {"k": 1})
    record = _new_record(parsed, "raw line", "python_logging", "t.log", 7)
    expected = LogRecord(*dataclasses.astuple(parsed)[:5], "raw line", "python_logging", "t.log", 7)
    assert type(record) is LogRecord
    assert record == expected and repr(record) == repr(expected)
    assert record.fields is parsed.fields


def test_a_scan_context_changes_only_the_fields() -> None:
    # parsers may leave fields out when `ctx.fields` is False; everything else stays the same
    lines = [
        *(e for s in load_catalog().signatures if s.spec.examples for e in s.spec.examples.match)
    ]
    for name in PARSER_NAMES:
        full = list(frame_records(lines, create_parser(name), CTX, create_parser("generic")))
        scan_ctx = dataclasses.replace(CTX, fields=False)
        scan = list(frame_records(lines, create_parser(name), scan_ctx, create_parser("generic")))
        assert [dataclasses.replace(r, fields={}) for r in scan] == [
            dataclasses.replace(r, fields={}) for r in full
        ]
        assert all(isinstance(r.fields, dict) for r in scan)
