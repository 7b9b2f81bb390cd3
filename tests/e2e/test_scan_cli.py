"""`loghealth scan` end to end on the bundled example logs, through the real console entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "logs"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loghealth", *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def scan_json(*args: str, stdin: str | None = None) -> tuple[int, dict[str, Any]]:
    result = run("scan", *args, "--output", "json", "--timezone", "UTC", stdin=stdin)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_bambuddy_example_reproduces_the_spec_findings_in_order() -> None:
    code, report = scan_json(str(EXAMPLES / "bambuddy"))
    rows = [
        (f["signature_id"], f["severity"], f["category"], f["count"]) for f in report["findings"]
    ]
    assert rows == [
        ("ftp-auth-rejected", "error", "layer8", 2),
        ("mqtt-connection-flapping", "warning", "layer8", 6),
        ("ftp-connection-timeout", "warning", "layer8", 4),
        ("camera-connection-refused", "warning", "layer8", 3),
        ("database-locked", "error", "environment", 1),
    ]
    assert code == 1  # error findings and --fail-on error (the default)
    assert report["summary"]["total"] == 5
    assert report["summary"]["by_category"]["layer8"] == 4
    assert report["below_min_count"] == {"ftp-ssl-error": 2}
    first = report["findings"][0]
    assert first["first_seen"] == "2026-03-14T08:02:11.417000Z"
    assert first["last_seen"] == "2026-03-14T08:47:32.402000Z"
    assert first["docs_url"].startswith("https://") and "#" in first["docs_url"]
    assert first["cause"] and first["fix"] and first["title"] != first["signature_id"]
    samples = " ".join(f["sample"] for f in report["findings"])
    assert "192.168.1." not in samples and "01P00A451200117" not in samples
    assert all(len(f["sample"]) <= 400 for f in report["findings"])


def test_json_has_the_documented_shape() -> None:
    _, report = scan_json(str(EXAMPLES))
    assert set(report) >= {
        "scanned_records",
        "unparsed_lines",
        "sources",
        "findings",
        "summary",
        "health",
    }
    assert set(report["sources"][0]) >= {"path", "format", "records"}
    finding_keys = {
        "signature_id",
        "pack",
        "title",
        "severity",
        "category",
        "area",
        "count",
        "first_seen",
        "last_seen",
        "sample",
        "source",
        "cause",
        "fix",
        "docs_url",
    }
    assert report["findings"] and all(set(f) >= finding_keys for f in report["findings"])
    assert set(report["summary"]) >= {"total", "by_category", "by_severity"}
    assert 0 <= report["health"]["score"] <= 100
    assert report["health"]["status"] in {"healthy", "warning", "degraded", "critical"}


def test_healthy_log_gives_no_findings_and_exit_zero() -> None:
    code, report = scan_json(str(EXAMPLES / "healthy"))
    assert code == 0
    assert report["findings"] == []
    assert report["health"] == {"score": 100, "status": "healthy"}


def test_redact_option_and_pack_filter() -> None:
    _, report = scan_json(
        str(EXAMPLES / "bambuddy"), "--redact", "A1 mini Desk", "--pack", "bambuddy"
    )
    locked = next(f for f in report["findings"] if f["signature_id"] == "database-locked")
    assert "A1 mini Desk" not in locked["sample"] and "<value-1>" in locked["sample"]
    assert {f["pack"] for f in report["findings"]} == {"bambuddy"}


def test_last_and_since_limit_the_records() -> None:
    _, everything = scan_json(str(EXAMPLES / "bambuddy"))
    _, newest = scan_json(str(EXAMPLES / "bambuddy"), "--last", "20")
    assert newest["scanned_records"] == 20 < everything["scanned_records"]
    _, late = scan_json(str(EXAMPLES / "bambuddy"), "--since", "2026-03-14T12:00:00Z")
    assert 0 < late["scanned_records"] < everything["scanned_records"]
    assert all(f["first_seen"] >= "2026-03-14T12" for f in late["findings"])


def test_stdin_is_a_source() -> None:
    text = (EXAMPLES / "bambuddy" / "bambuddy.log").read_text(encoding="utf-8")
    _, report = scan_json("-", stdin=text)
    assert report["sources"][0]["path"] == "-"
    assert len(report["findings"]) == 5


def test_fail_on_threshold() -> None:
    assert (
        run("scan", str(EXAMPLES / "bambuddy"), "--fail-on", "critical", "-o", "json").returncode
        == 0
    )
    assert (
        run("scan", str(EXAMPLES / "bambuddy"), "--fail-on", "none", "-o", "json").returncode == 0
    )
    assert (
        run("scan", str(EXAMPLES / "bambuddy"), "--fail-on", "warning", "-o", "json").returncode
        == 1
    )


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "does/not/exist.log"),
        ("scan", "examples/logs", "--output", "yaml"),
        ("scan", "examples/logs", "--format", "klingon"),
        ("scan", "examples/logs", "--timezone", "Mars/Base"),
        ("scan", "examples/logs", "--since", "yesterday-ish"),
        ("scan", "examples/logs", "--pack", "nosuchpack"),
        ("scan", "examples/logs", "--fail-on", "bad"),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


def test_markdown_and_table_outputs() -> None:
    markdown = run("scan", str(EXAMPLES / "bambuddy"), "-o", "markdown", "--timezone", "UTC")
    assert markdown.stdout.startswith("# loghealth scan")
    assert "| error | layer8 |" in markdown.stdout and "**Fix:**" in markdown.stdout
    table = run("scan", str(EXAMPLES / "bambuddy"))
    assert (
        "Health" in table.stdout
        and "Cause:" in table.stdout
        and "ftp-auth-rejected" in table.stdout
    )


def test_user_rules_file_adds_findings_and_reports_broken_rules(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "signatures:\n"
        "  - id: archive-finalize-failed\n"
        "    patterns: ['Error finalizing archive']\n"
        "    severity: critical\n    category: bug\n    area: process\n"
        "    text: {name: Archive finalising failed, cause: c, fix: f}\n"
        "  - id: broken\n    patterns: ['(']\n    severity: error\n"
        "    category: bug\n    area: process\n"
    )
    code, report = scan_json(str(EXAMPLES / "bambuddy"), "--rules", str(rules))
    ids = [f["signature_id"] for f in report["findings"]]
    assert "archive-finalize-failed" in ids and "database-locked" not in ids  # one hit per record
    assert any("broken" in e for e in report["errors"])
    assert code == 1


def test_parse_prints_json_lines() -> None:
    result = run("parse", str(EXAMPLES / "bambuddy" / "bambuddy.log"), "--timezone", "UTC")
    assert result.returncode == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["format"] == "python_logging"
    assert set(records[0]) == {
        "timestamp",
        "level",
        "logger",
        "message",
        "fields",
        "format",
        "source",
        "line",
    }
    locked = next(
        r for r in records if "database is locked" in r["message"] and r["level"] == "ERROR"
    )
    assert "sqlalchemy.exc.OperationalError" in locked["message"]


def test_catalog_commands() -> None:
    listing = run("catalog", "list", "-o", "json")
    assert listing.returncode == 0
    ids = {row["id"] for row in json.loads(listing.stdout)}
    assert {"database-locked", "ftp-auth-rejected"} <= ids
    show = run("catalog", "show", "ftp-connection-timeout")
    assert show.returncode == 0 and "min_count 3" in show.stdout
    assert run("catalog", "show", "nope").returncode == 2
    tested = run("catalog", "test", "bambuddy", str(EXAMPLES / "bambuddy"))
    assert tested.returncode == 0
    assert "below min_count" in tested.stdout and "level gate" in tested.stdout
    assert "logger gate" in tested.stdout


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("app", {"permission-denied", "database-unreachable", "python-memory-error"}),
        ("syslog", {"kernel-oom-kill", "systemd-unit-failed", "login-brute-force"}),
        ("nginx", {"nginx-worker-connections", "nginx-upstream-refused", "nginx-upstream-timeout"}),
    ],
)
def test_example_logs_give_their_findings(folder: str, expected: set[str]) -> None:
    _, report = scan_json(str(EXAMPLES / folder))
    assert {f["signature_id"] for f in report["findings"]} == expected
    assert report["unparsed_lines"] == 0


def test_smarty_example_in_russian() -> None:
    _, english = scan_json(str(EXAMPLES / "smarty"))
    _, russian = scan_json(str(EXAMPLES / "smarty"), "--lang", "ru")
    assert [f["signature_id"] for f in english["findings"]] == [
        f["signature_id"] for f in russian["findings"]
    ]
    assert len(english["findings"]) == 17
    assert all(f["category"] in {"layer8", "environment", "bug"} for f in english["findings"])
    titles = [f["title"] for f in russian["findings"]]
    assert all(any("а" <= ch <= "я" for ch in title.lower()) for title in titles)


def test_engines_and_jobs_give_identical_reports() -> None:
    reports = {
        args: scan_json(str(EXAMPLES), "--fail-on", "none", *args)[1]
        for args in (
            ("--engine", "fast", "--jobs", "1"),
            ("--engine", "portable", "--jobs", "1"),
            ("--engine", "fast", "--jobs", "2"),
            ("--engine", "auto"),
        )
    }
    first = next(iter(reports.values()))
    assert first["findings"]
    assert all(report == first for report in reports.values())


def test_unknown_engine_is_a_usage_error() -> None:
    result = run("scan", str(EXAMPLES), "--engine", "turbo")
    assert result.returncode == 2
    assert "--engine" in result.stderr


def test_catalog_export_patterns_one_per_line() -> None:
    result = run("catalog", "export", "--patterns")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) > 100
    assert all(line.isascii() and line for line in lines)


def test_the_progress_bar_draws_without_a_thread_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `scan --jobs` forks its workers only while no other thread runs (`runtime.parallel`)
    import io
    import threading

    from rich.console import Console

    from loghealth.cli import common
    from loghealth.sources import FileInput

    drawn = io.StringIO()
    monkeypatch.setattr(common, "stderr", Console(file=drawn, force_terminal=True, width=100))
    monkeypatch.setattr(common, "_REDRAW_SECS", 0.0)
    size = 2 * common.PROGRESS_MIN_BYTES
    threads = threading.active_count()
    with common.progress_for([FileInput("big.log", None, size)], enabled=True) as on_bytes:
        assert on_bytes is not None
        on_bytes(size // 2)
        assert threading.active_count() == threads
    assert "scanning" in drawn.getvalue()
    assert "4.2/8.4 MB" in drawn.getvalue()  # redrawn by the callback
