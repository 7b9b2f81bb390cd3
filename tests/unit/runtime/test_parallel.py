"""`scan --jobs N`: by file and by chunk on record boundaries, the same result as one job."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loghealth.engine import Engine
from loghealth.report import scan_document
from loghealth.rules.loader import Catalog, load_catalog
from loghealth.runtime import ScanOptions, parallel, scan_inputs
from loghealth.runtime.parallel import plan_tasks, read_range, scan_parallel
from loghealth.runtime.scan import ScanResult
from loghealth.sources import FileInput, discover_inputs, read_lines

ROOT = Path(__file__).resolve().parents[3]
CATALOG = load_catalog()
OPTIONS = ScanOptions(tz=UTC, now=datetime(2026, 6, 1, tzinfo=UTC))
LINES = [
    "2026-03-14 08:02:11,417 ERROR [app.db] sqlite3.OperationalError: database is locked",
    "2026-03-14 08:02:12,001 INFO [app] started worker 3",
    "2026-03-14 08:02:13,000 WARNING [app.net] Connection refused by 10.0.0.7:5432",
    "Traceback (most recent call last):",
    '  File "/app/x.py", line 3, in <module>',
    "OSError: [Errno 28] No space left on device",
    "",
    "   continuation with tab\tand spaces",
    "garbage line without any structure é",
    "2026-03-14 08:03:00,000 CRITICAL [app] Out of memory: Killed process 812 (python)",
]


def _document(result: ScanResult, catalog: Catalog = CATALOG) -> str:
    return json.dumps(scan_document(result, catalog, "en"), sort_keys=True, default=str)


def _serial(inputs: list[FileInput], kind: str = "fast", catalog: Catalog = CATALOG) -> str:
    return _document(scan_inputs(inputs, Engine(catalog, engine=kind), OPTIONS), catalog)


def _chunked(
    inputs: list[FileInput],
    jobs: int,
    chunk: int,
    min_bytes: int = 1 << 40,
    kind: str = "fast",
    catalog: Catalog = CATALOG,
) -> str:
    engine = Engine(catalog, engine=kind)
    reports = scan_parallel(inputs, engine, OPTIONS, jobs, chunk_bytes=chunk, min_bytes=min_bytes)
    findings = engine.findings()
    from loghealth.engine import health_score

    for report in reports:
        report.health = health_score(f for f in findings if f.source == report.path)
    result = ScanResult(
        records=sum(r.records for r in reports),
        unparsed=sum(r.unparsed for r in reports),
        sources=reports,
        findings=findings,
        health=health_score(findings),
        below_threshold=engine.aggregator.below_threshold(),
        errors=[*engine.catalog.errors, *engine.errors, *engine.timeout_errors()],
    )
    return _document(result, catalog)


def _input(path: Path) -> FileInput:
    return FileInput(str(path), path, path.stat().st_size)


@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=120), st.integers(40, 900))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_chunks_on_record_boundaries_give_the_serial_result(
    tmp_path: Path, lines: list[str], chunk: int
) -> None:
    path = tmp_path / "app.log"
    path.write_text("\n".join(lines) + "\n")
    source = _input(path)
    tasks, _ = plan_tasks([source], OPTIONS, chunk)
    ranged = [line for t in tasks for line in read_range(path, t.start, t.end)]
    assert ranged == list(read_lines(source))
    # the portable engine builds in milliseconds; backends agree (tests/unit/engine)
    assert _chunked([source], 1, chunk, kind="portable") == _serial([source], "portable")


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_worker_processes_by_file_and_by_chunk_give_the_serial_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    monkeypatch.setattr(parallel, "START_METHOD", method)  # forked workers adopt the matcher
    big = tmp_path / "big.log"
    big.write_text("\n".join(LINES * 300) + "\n")
    inputs = [*discover_inputs([str(ROOT / "examples" / "logs")]), _input(big)]
    expected = _serial(inputs)
    assert _chunked(inputs, 2, 20_000, min_bytes=0) == expected
    assert len(plan_tasks(inputs, OPTIONS, 20_000)[0]) > len(inputs)


def test_workers_report_a_user_rules_timeouts_as_one_job_does(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "signatures:\n  - {id: slow-rule, patterns: ['(a|aa)*c'], severity: error, "
        "category: bug, area: process}\n"
    )
    catalog = load_catalog([], [rules])
    slow = "2026-03-14 08:04:00,000 ERROR [app] " + "a" * 40 + "b c"  # 57 s for `re`
    big = tmp_path / "big.log"
    big.write_text("\n".join([*LINES * 150, slow, *LINES * 150, slow]) + "\n")
    inputs = [_input(big)]
    serial = _serial(inputs, catalog=catalog)
    assert "slow-rule: 2 search(es) gave up" in serial
    assert _chunked(inputs, 2, 20_000, min_bytes=0, catalog=catalog) == serial


def test_workers_fork_only_while_no_other_thread_runs() -> None:
    assert parallel._context().get_start_method() == (
        "fork" if threading.active_count() == 1 else "forkserver"
    )
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert parallel._context().get_start_method() == "forkserver"
    finally:
        stop.set()
        other.join()


def test_jobs_through_scan_inputs_match_one_job() -> None:
    inputs = discover_inputs([str(ROOT / "examples" / "logs")])
    parallel = _document(scan_inputs(inputs, Engine(CATALOG), OPTIONS, jobs=2))
    assert parallel == _serial(inputs)


def test_last_keeps_whole_files(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    big.write_text("\n".join(LINES * 50) + "\n")
    options = ScanOptions(tz=UTC, now=OPTIONS.now, last=10)
    tasks, _ = plan_tasks([_input(big)], options, 100)
    assert len(tasks) == 1
