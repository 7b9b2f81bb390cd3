"""New formats: details the goldens do not pin, per-line fallback, detection, user formats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loghealth.model import Level
from loghealth.parsing import (
    ParseContext,
    clear_formats,
    create_parser,
    detect_format,
    format_names,
    load_formats,
    parse_lines,
    register_formats,
)
from loghealth.parsing.user_formats import FormatError, UserFormatParser, load_format_file

CTX = ParseContext.default(now=datetime(2024, 6, 1, tzinfo=UTC))


@pytest.fixture
def user_formats() -> Iterator[None]:
    clear_formats()
    yield
    clear_formats()


@pytest.mark.parametrize(
    ("status", "level"),
    [("200", Level.INFO), ("304", Level.INFO), ("404", Level.WARNING), ("503", Level.ERROR)],
)
def test_access_log_status_gives_the_level(status: str, level: Level) -> None:
    line = f'192.0.2.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" {status} 12 "-" "x"'
    parsed = create_parser("clf").parse(line, CTX)
    assert parsed is not None and parsed.level is level


def test_access_log_message_keeps_the_request_for_signatures() -> None:
    line = '192.0.2.1 - - [01/May/2024:10:00:00 +0000] "GET /a HTTP/1.1" 502 157 "-" "x"'
    parsed = create_parser("clf").parse(line, CTX)
    assert parsed is not None
    assert parsed.message.startswith('"GET /a HTTP/1.1" 502 ')
    assert parsed.fields["client"] == "192.0.2.1"


def test_a_mixed_file_keeps_each_lines_own_format() -> None:
    lines = [
        "2024/05/01 10:00:00 [error] 1#1: *2 connect() failed (111: Connection refused)",
        "[Wed Oct 11 14:32:52 2023] [error] [client 192.0.2.7] File does not exist: /x",
        "2024-05-01 10:00:00,123 WARN [main] com.example.App: slow",
        "level=error msg=boom",
    ]
    assert detect_format(lines, CTX).format == "generic"
    records = parse_lines(lines, CTX)
    assert [r.format for r in records] == ["nginx_error", "apache_error", "log4j", "logfmt"]
    assert [r.level for r in records] == [Level.ERROR, Level.ERROR, Level.WARNING, Level.ERROR]


def test_a_foreign_line_in_a_detected_file_is_not_lost() -> None:
    lines = ["2024-05-01 10:00:00,000 INFO app: started"] * 6 + [
        "2024/05/01 10:00:01 [crit] 1#1: *3 open() failed (13: Permission denied)"
    ]
    records = parse_lines(lines, CTX)
    assert records[0].format == "python_logging"
    assert records[-1].format == "nginx_error" and records[-1].level is Level.CRITICAL


def test_docker_json_folds_a_traceback_written_line_by_line() -> None:
    def entry(text: str) -> str:
        return json.dumps({"log": text + "\n", "stream": "stderr", "time": "2024-05-01T10:00:00Z"})

    lines = [
        entry("2024-05-01 10:00:00,000 ERROR app: failed"),
        entry("Traceback (most recent call last):"),
        entry('  File "x.py", line 1, in <module>'),
        entry("ValueError: boom"),
    ]
    (record,) = parse_lines(lines, CTX)
    assert record.format == "docker_json" and record.level is Level.ERROR
    assert record.message.endswith("ValueError: boom")
    assert record.fields["inner_format"] == "python_logging"


def test_postgres_detail_lines_fold_into_their_record() -> None:
    lines = [
        "2024-05-01 10:00:00 UTC [7] ERROR:  deadlock detected",
        "2024-05-01 10:00:00 UTC [7] DETAIL:  Process 7 waits for ShareLock",
        "2024-05-01 10:00:01 UTC [8] LOG:  checkpoint starting: time",
    ]
    records = parse_lines(lines, CTX)
    assert len(records) == 2
    assert records[0].message == "deadlock detected\nDETAIL:  Process 7 waits for ShareLock"


def test_journald_priority_gives_the_level() -> None:
    line = json.dumps({"__REALTIME_TIMESTAMP": "1714557600000000", "PRIORITY": "3", "MESSAGE": "x"})
    parsed = create_parser("journald_json").parse(line, CTX)
    assert parsed is not None and parsed.level is Level.ERROR
    assert parsed.timestamp == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_yearless_times_never_land_in_the_future() -> None:
    parsed = create_parser("logcat").parse("12-31 23:00:00.000  1  2 E tag: x", CTX)
    assert parsed is not None and parsed.timestamp is not None
    assert parsed.timestamp.year == 2023


def test_user_format_file_is_detected_and_its_samples_pass(
    tmp_path: Path, user_formats: None
) -> None:
    path = tmp_path / "kiosk.yaml"
    path.write_text(
        "name: kiosk\n"
        "regex: '^(?P<timestamp>\\d{8}T\\d{6}) <(?P<level>[A-Z])> "
        "(?P<tag>\\w+)\\| (?P<message>.*)$'\n"
        "timestamp_format: '%Y%m%dT%H%M%S'\n"
        "levels: {error: '^E$', warning: '^W$', info: '^I$'}\n"
        "samples:\n"
        "  - {line: '20240501T100000 <E> printer| paper jam', level: error}\n",
        encoding="utf-8",
    )
    (spec,) = load_formats([tmp_path])
    parser = UserFormatParser(spec)
    for line, level in spec.samples:
        parsed = parser.parse(line, CTX)
        assert parsed is not None and parsed.level is Level.ERROR and level == "error"
        assert parsed.timestamp == datetime(2024, 5, 1, 10, tzinfo=UTC)
        assert parsed.logger == "printer" and parsed.message == "paper jam"
    register_formats([spec])
    assert format_names()[0] == "kiosk"
    records = parse_lines(["20240501T100001 <W> door| left open"] * 3, CTX)
    assert {r.format for r in records} == {"kiosk"}
    assert records[0].level is Level.WARNING


def test_user_format_cannot_take_a_built_in_name(tmp_path: Path, user_formats: None) -> None:
    path = tmp_path / "clf.json"
    path.write_text(json.dumps({"name": "clf", "regex": "^x"}), encoding="utf-8")
    with pytest.raises(ValueError, match="built in"):
        register_formats(load_format_file(path))


def test_a_broken_format_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "bad", "regex": "(?P<x"}), encoding="utf-8")
    with pytest.raises(FormatError, match="bad"):
        load_format_file(path)


def test_lnav_formats_load_and_every_sample_parses_with_its_level(shared_data: Path) -> None:
    specs = load_formats([shared_data / "lnav" / "formats"])
    assert len(specs) >= 50
    levels = {"trace": Level.DEBUG, "debug": Level.DEBUG, "info": Level.INFO, "notice": Level.INFO}
    levels |= {"warning": Level.WARNING, "error": Level.ERROR, "fatal": Level.CRITICAL}
    checked = 0
    for spec in specs:
        parser = UserFormatParser(spec)
        for line, level in spec.samples:
            parsed = parser.parse(line.splitlines()[0], CTX)
            assert parsed is not None, (spec.name, line)
            if level:
                assert parsed.level is levels[level], (spec.name, line)
                checked += 1
    assert checked >= 30
