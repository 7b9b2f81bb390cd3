"""Lazy scanning gives exactly the full parse's result: counts, findings, first/last seen."""

from __future__ import annotations

import dataclasses
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loghealth.engine import Engine
from loghealth.parsing import PARSER_NAMES, ParseContext, create_parser
from loghealth.parsing.quick import quick_pattern
from loghealth.report import scan_document
from loghealth.rules.loader import load_catalog
from loghealth.runtime import ScanOptions, scan_inputs
from loghealth.runtime import lazy as lazy_module
from loghealth.runtime.lazy import scan_file_lazily
from loghealth.runtime.parallel import scan_parallel
from loghealth.runtime.scan import ScanResult, lazy_applies
from loghealth.sources import FileInput, InputError
from tests.unit.parsing.test_quick import SEEDS as QUICK_SEEDS

CATALOG = load_catalog()
MATCHERS = {kind: Engine(CATALOG, engine=kind).matcher for kind in ("fast", "portable")}
NOW = datetime(2026, 6, 1, tzinfo=UTC)
EXAMPLES = sorted(
    {line for s in CATALOG.signatures if s.spec.examples for line in s.spec.examples.match}
)
LAZY_FORMATS = tuple(name for name in PARSER_NAMES if quick_pattern(create_parser(name)))

_WORD = st.sampled_from(["user", "cache", "disk", "database is locked", "timeout", "ok", "é", "x"])
_LEVEL = st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
_TIME = st.builds(
    "{:02d}:{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)
)


def _python(level: str, word: str, hms: str, layout: int) -> str:
    ts = f"2026-03-14 {hms},417"
    return [
        f"{ts} - app.db - {level} - {word} id=1",
        f"{ts} {level} app.db: {word}",
        f"{ts} {level} [app] [-] {word}",
        f"{ts} - {level} - app.db - {word}",
        f"{ts} - INFO - {level} - {word}",  # both dash layouts read it, with different levels
    ][layout]


def _disguised(line: str, position: int, how: int) -> str:
    """A catalog example that still matches once decoded or case-folded, but not byte for byte."""
    position %= len(line) + 1
    if how == 0:
        return line[:position] + "\x00" + line[position:]
    if how == 1:
        return line.replace("s", "\u017f").replace("k", "\u212a")  # ſ and the Kelvin sign fold
    return line[:position] + "\x1c" + line[position:] + "\r"


def _syslog(word: str, hms: str, day: int, iso: bool) -> str:
    if iso:
        return f"2024-02-{day:02d}T{hms}.123+01:00 host1 sshd[12]: {word}"
    return f"Feb {day:2d} {hms} host1 sshd[12]: {word}"


def _json(level: str, word: str, hms: str, variant: int) -> str:
    body: dict[str, Any] = {"time": f"2026-03-14T{hms}Z", "level": level.lower(), "msg": word}
    if variant == 1:
        body["error"] = "Traceback (most recent call last):\n  x"
    if variant == 2:
        body["msg"] = {"nested": word}
    return json.dumps(body, ensure_ascii=variant != 3)


def _clf(word: str, status: int) -> str:
    return (
        f'10.0.0.1 - - [14/Mar/2026:08:02:11 +0000] "GET /{word} HTTP/1.1" {status} 12 "-" "curl"'
    )


LINE = st.one_of(
    st.builds(_python, _LEVEL, _WORD, _TIME, st.integers(0, 4)),
    st.builds(_disguised, st.sampled_from(EXAMPLES), st.integers(0, 200), st.integers(0, 2)),
    st.builds(_syslog, _WORD, _TIME, st.integers(1, 30), st.booleans()),
    st.builds(_json, _LEVEL, _WORD, _TIME, st.integers(0, 3)),
    st.builds(_clf, _WORD, st.sampled_from([200, 404, 500, 502])),
    st.sampled_from(EXAMPLES),
    st.sampled_from(QUICK_SEEDS),
    st.sampled_from(
        [
            "Traceback (most recent call last):",
            '  File "/app/x.py", line 3, in <module>',
            "OSError: [Errno 28] No space left on device",
            "sqlite3.OperationalError: database is locked",
            "goroutine 1 [running]:",
            "",
            "   ",
            "\t",
            "garbage line without structure",
            "garbage é ünïcode",
            "2026-03-14 08:02:11,417 - app - ERROR - failed: Traceback (most recent call last):",
            "line with a carriage return\r",
            "nul\x00byte",
            "}",
            "... 12 more",
        ]
    ),
)


def _document(result: ScanResult) -> str:
    document = scan_document(result, CATALOG, "en")
    findings = [dataclasses.asdict(f) for f in result.findings]
    return json.dumps([document, findings, result.below_threshold], sort_keys=True, default=str)


def _scan(paths: list[Path], kind: str, *, lazy: bool, log_format: str | None = None) -> str:
    engine = Engine(CATALOG, engine="portable")
    engine.matcher = MATCHERS[kind]
    options = ScanOptions(tz=UTC, now=NOW, format=log_format, lazy=lazy)
    inputs = [FileInput(str(p), p, p.stat().st_size) for p in paths]
    return _document(scan_inputs(inputs, engine, options))


TRACEBACK = st.tuples(
    st.builds(_python, _LEVEL, _WORD, _TIME, st.integers(0, 4)),
    st.lists(st.sampled_from(['  File "/app/x.py", line 3, in <module>', "    x()", "", "é"])),
    st.sampled_from(["ValueError: bad", "OSError: [Errno 28] No space left on device", "ok"]),
).map(lambda parts: [parts[0], "Traceback (most recent call last):", *parts[1], parts[2]])


@given(
    chunks=st.lists(st.one_of(LINE.map(lambda line: [line]), TRACEBACK), min_size=1, max_size=60),
    log_format=st.sampled_from([None, *LAZY_FORMATS]),
    kind=st.sampled_from(["fast", "portable"]),
    block=st.integers(1, 2048),
    newline=st.sampled_from(["\n", "\r\n"]),
    newline_at_end=st.booleans(),
    packed=st.booleans(),
)
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_lazy_scan_equals_the_full_parse(
    tmp_path: Path,
    chunks: list[list[str]],
    log_format: str | None,
    kind: str,
    block: int,
    newline: str,
    newline_at_end: bool,
    packed: bool,
) -> None:
    lines = [line for chunk in chunks for line in chunk]
    path = tmp_path / "mixed.log"
    data = (newline.join(lines) + (newline if newline_at_end else "")).encode()
    path.write_bytes(gzip.compress(data) if packed else data)
    full = _scan([path], kind, lazy=False, log_format=log_format)
    with mock.patch.object(lazy_module, "BLOCK_BYTES", block):
        assert _scan([path], kind, lazy=True, log_format=log_format) == full


def _real_logs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".json", ".md"))


@pytest.mark.parametrize("kind", ["fast", "portable"])
@pytest.mark.parametrize("corpus", ["loghub", "lnav/test", "fail2ban/logs"])
def test_lazy_scan_equals_the_full_parse_on_real_logs(
    shared_data: Path, corpus: str, kind: str
) -> None:
    paths = _real_logs(shared_data / corpus)
    assert paths
    for path in paths:
        full = _scan([path], kind, lazy=False)
        with mock.patch.object(lazy_module, "BLOCK_BYTES", 4096):
            assert _scan([path], kind, lazy=True) == full, path
    for fmt in LAZY_FORMATS:  # every line read as a lazily scanned format
        for path in paths[:: max(1, len(paths) // 12)]:
            full = _scan([path], kind, lazy=False, log_format=fmt)
            assert _scan([path], kind, lazy=True, log_format=fmt) == full, (fmt, path)


def test_lazy_applies_only_where_the_result_is_the_same(tmp_path: Path) -> None:
    plain = tmp_path / "app.log"
    plain.write_text(_python("ERROR", "x", "10:00:00", 0) + "\n")
    source = FileInput(str(plain), plain, plain.stat().st_size)
    matcher = MATCHERS["fast"]
    assert lazy_applies(source, "python_logging", ScanOptions(tz=UTC, now=NOW), matcher)
    for options in (
        ScanOptions(tz=UTC, now=NOW, lazy=False),
        ScanOptions(tz=UTC, now=NOW, last=5),
        ScanOptions(tz=UTC, now=NOW, since=NOW),
    ):
        assert not lazy_applies(source, "python_logging", options, matcher)
    assert not lazy_applies(source, "generic", ScanOptions(tz=UTC, now=NOW), matcher)
    packed = tmp_path / "app.log.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    gz = FileInput(str(packed), packed, packed.stat().st_size)
    assert lazy_applies(gz, "python_logging", ScanOptions(tz=UTC, now=NOW), matcher)
    assert not lazy_applies(
        FileInput("-", None, 0), "python_logging", ScanOptions(tz=UTC, now=NOW), matcher
    )


def test_a_gzip_file_is_scanned_lazily_and_a_broken_one_is_an_input_error(
    tmp_path: Path,
) -> None:
    lines = [_python("INFO", "ok", "10:00:00", 0)] * 2000 + [
        line for line in EXAMPLES if line.startswith("2")
    ]
    packed = tmp_path / "app.log.gz"
    packed.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    parsed: list[object] = []
    ctx = ParseContext(tz=UTC, now=NOW, source="app.log.gz")
    counts = scan_file_lazily(packed, "python_logging", ctx, MATCHERS["fast"], parsed.extend)
    assert counts.lines == len(lines)
    assert 0 < counts.parsed_lines < len(lines) // 10  # the quick lines were only counted
    assert _scan([packed], "fast", lazy=True) == _scan([packed], "fast", lazy=False)
    with pytest.raises(ValueError, match="whole"):
        scan_file_lazily(packed, "python_logging", ctx, MATCHERS["fast"], print, start=10)
    truncated = tmp_path / "cut.log.gz"
    truncated.write_bytes(packed.read_bytes()[:-40])
    for lazy in (True, False):
        with pytest.raises(InputError, match=r"cut\.log\.gz"):
            _scan([truncated], "fast", lazy=lazy)


def test_lazy_chunks_in_parallel_equal_the_full_serial_scan(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    lines = [_python("INFO", "ok", "10:00:00", 0)] * 50 + [
        line for line in EXAMPLES if line.startswith("2")
    ]
    path.write_text("\n".join(lines * 20) + "\n")
    inputs = [FileInput(str(path), path, path.stat().st_size)]
    expected = _scan([path], "fast", lazy=False)
    engine = Engine(CATALOG, engine="portable")
    engine.matcher = MATCHERS["fast"]
    options = ScanOptions(tz=UTC, now=NOW)
    reports = scan_parallel(inputs, engine, options, 1, chunk_bytes=5_000, min_bytes=1 << 40)
    assert sum(r.records for r in reports) == json.loads(expected)[0]["scanned_records"]
    findings = [dataclasses.asdict(f) for f in engine.findings()]
    assert json.dumps(findings, sort_keys=True, default=str) == json.dumps(
        json.loads(expected)[1], sort_keys=True, default=str
    )


@pytest.mark.parametrize("kind", ["fast", "portable"])
def test_lazy_scan_follows_the_layout_the_parser_tries_first(tmp_path: Path, kind: str) -> None:
    # A line both dash layouts read (differently) is parsed with the layout that matched last,
    # which a skipped line can change: the lazy scan must follow it within a block.
    first = "2026-03-14 08:00:00,000 - app.db - INFO - " + "x" * 200
    path = tmp_path / "app.log"
    path.write_text(
        f"{first}\n"  # block 1: the parser now tries the dash layout first
        "2026-03-14 08:00:01,000 - ERROR - app.db - switch layout\n"  # block 2 from here
        "2026-03-14 08:00:02,000 - app.db - INFO - ok\n"
        "2026-03-14 08:00:03,000 - INFO - ERROR - sqlite3.OperationalError: database is locked\n"
    )
    full = _scan([path], kind, lazy=False)
    assert json.loads(full)[0]["findings"]
    with mock.patch.object(lazy_module, "BLOCK_BYTES", len(first) + 1):
        assert _scan([path], kind, lazy=True) == full


def test_the_unsure_finder_searches_bytes(tmp_path: Path) -> None:
    # PCRE2's wrapper copies any other buffer it is given on every search (a 4 MiB block, once
    # per change of the Python layout): blocks must be `bytes`
    path = tmp_path / "app.log"
    layouts = [
        "2026-03-14 08:00:00,000 - app - INFO - ok",
        "2026-03-14 08:00:01,000 - INFO - app - ok",
    ]
    path.write_text("\n".join(layouts * 50) + "\n")
    searched: list[type] = []
    starts = lazy_module.UnsureFinder.starts

    def spy(self: Any, data: Any, pos: int, endpos: int) -> Any:
        searched.append(type(data))
        return starts(self, data, pos, endpos)

    with (
        mock.patch.object(lazy_module.UnsureFinder, "starts", spy),
        mock.patch.object(lazy_module, "BLOCK_BYTES", 512),
    ):
        assert _scan([path], "fast", lazy=True) == _scan([path], "fast", lazy=False)
    assert len(searched) > 10
    assert set(searched) == {bytes}


FOLDING = {
    "blank line keeps the record open": ["", "  continued after a blank line"],
    "whitespace line folds": ["   ", "  indented after whitespace"],
    "goroutine block folds any line": ["garbage folded into the goroutine block"],
}


@pytest.mark.parametrize("kind", ["fast", "portable"])
@pytest.mark.parametrize("case", sorted(FOLDING))
def test_lines_that_fold_into_a_skipped_record_are_framed_with_it(
    tmp_path: Path, kind: str, case: str
) -> None:
    opener = "2026-03-14 08:00:00,000 - app - INFO - "
    first = opener + ("goroutine 7 [chan receive]:" if "goroutine" in case else "ok")
    lines = [opener + "ok", first, *FOLDING[case], opener + "ok"]
    path = tmp_path / "app.log"
    path.write_text("\n".join(lines * 3) + "\n")
    assert MATCHERS[kind].raw_scanner().ends(path.read_bytes()) == []  # nothing is a candidate
    full = _scan([path], kind, lazy=False)
    assert json.loads(full)[0]["unparsed_lines"] == 0
    assert _scan([path], kind, lazy=True) == full


_TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/srv/app/worker.py", line 12, in handle',
    "    result = process(item)",
    "ValueError: invalid item 7",
]


@pytest.mark.parametrize("kind", ["fast", "portable"])
def test_a_traceback_no_signature_can_hit_is_only_counted(tmp_path: Path, kind: str) -> None:
    # "Traceback (most recent call last)" is a pattern of a smarty-only signature: in a
    # python_logging file it makes no line a candidate, and such records are only counted.
    quiet = [_python("ERROR", "x", "10:00:00", 0), *_TRACEBACK]
    hit = "OSError: [Errno 28] No space left on device"
    loud = [_python("ERROR", "x", "10:00:01", 0), *_TRACEBACK[:3], hit]
    lines = [_python("INFO", "ok", "09:00:00", 0)]  # parsed: the parser learns its layout
    lines += (quiet * 30 + [_python("INFO", "ok", "10:00:02", 0)] * 5 + loud) * 4
    path = tmp_path / "app.log"
    path.write_text("\n".join(lines) + "\n")
    counts = scan_file_lazily(
        path, "python_logging", ParseContext(tz=UTC, now=NOW, source="app.log"),
        MATCHERS[kind], lambda batch: None,
    )  # fmt: skip
    assert counts.lines == len(lines)
    assert counts.records == 1 + (30 + 5 + 1) * 4
    assert counts.parsed_lines == 1 + len(loud) * 4  # and each traceback with a hit, whole
    full = _scan([path], kind, lazy=False)
    assert json.loads(full)[0]["findings"]
    assert _scan([path], kind, lazy=True) == full


@pytest.mark.parametrize("kind", ["fast", "portable"])
@pytest.mark.parametrize(
    "tail",
    [
        ["2026-03-14 08:00:00,000 - app - ERROR - a line of its own"],  # ends the run: no fold
        ["not a continuation"],  # outside a traceback block, a record of its own
        ["    nul \x00 byte"],  # outside printable ASCII
        ["", "   ", "  after blank lines"],
    ],
)
def test_a_quiet_traceback_is_counted_as_the_framer_frames_it(
    tmp_path: Path, kind: str, tail: list[str]
) -> None:
    opener = _python("ERROR", "x", "10:00:00", 0)
    for lines in ([opener, *tail], [opener, "  indented", *tail], [opener, *_TRACEBACK, *tail]):
        path = tmp_path / "app.log"
        path.write_text("\n".join([*lines, opener] * 3) + "\n")
        for block in (4096, 64, 1):
            with mock.patch.object(lazy_module, "BLOCK_BYTES", block):
                assert _scan([path], kind, lazy=True) == _scan([path], kind, lazy=False)
