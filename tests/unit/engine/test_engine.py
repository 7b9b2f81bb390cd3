"""Engine: gates, most-specific-wins, thresholds in windows, sample, order, health score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from loghealth.engine import Engine, Gate, health_score, sort_findings
from loghealth.model import Area, Category, Finding, HealthStatus, Level, LogRecord, Severity
from loghealth.rules.loader import load_catalog

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)

RULES = """
signatures:
  - id: disk-almost-full
    patterns: ['disk (?:is )?almost full']
    severity: warning
    category: environment
    area: disk
    min_level: WARNING
    threshold: {min_count: 3, window_secs: 60}
    text: {name: Disk almost full, cause: The disk is filling up., fix: Free space.}
  - id: app-db-down
    patterns: ['database unreachable']
    severity: critical
    category: environment
    area: database
    logger_prefix: app.db
  - id: any-db-down
    patterns: ['unreachable']
    severity: error
    category: bug
    area: network
  - id: broken-rule
    patterns: ['(unclosed']
    severity: error
    category: bug
    area: network
  - id: Not_An_Id
    patterns: ['x']
"""


def _record(
    message: str,
    *,
    at: datetime | None = T0,
    level: Level | None = Level.ERROR,
    logger: str | None = "app",
    source: str = "a.log",
    line: int = 1,
) -> LogRecord:
    return LogRecord(
        timestamp=at,
        level=level,
        logger=logger,
        message=message,
        fields={},
        raw=message.split("\n")[0],
        format="python_logging",
        source=source,
        line=line,
    )


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    return Engine(load_catalog([], [rules]))


def test_broken_rules_are_reported_not_fatal(engine: Engine) -> None:
    assert any("Not_An_Id" in e for e in engine.catalog.errors)
    assert any("broken-rule" in e and "does not compile" in e for e in engine.errors)
    assert {c.signature.id for c in engine.matcher.signatures} == {
        "disk-almost-full",
        "app-db-down",
        "any-db-down",
    }


def test_most_specific_signature_wins_and_one_hit_per_record(engine: Engine) -> None:
    hit = engine.feed(_record("database unreachable", logger="app.db.pool"))
    assert hit is not None and hit.signature_id == "app-db-down"
    other = engine.feed(_record("database unreachable", logger="web"))
    assert other is not None and other.signature_id == "any-db-down"


def test_level_gate_and_explain(engine: Engine) -> None:
    record = _record("disk almost full", level=Level.INFO)
    assert engine.feed(record) is None
    verdicts = engine.matcher.explain(record)
    assert [(v.signature_id, v.gate) for v in verdicts] == [("disk-almost-full", Gate.LEVEL)]


SLOW_RULES = """
signatures:
  - id: slow-rule
    patterns: ['(a|aa)*c']
    severity: error
    category: bug
    area: process
  - id: quick-rule
    patterns: ['b c$']
    severity: warning
    category: bug
    area: process
"""


def test_a_user_rule_out_of_its_time_budget_does_not_hit_and_is_reported(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(SLOW_RULES)
    engine = Engine(load_catalog([], [rules]))
    near_miss = _record("a" * 40 + "b c")  # `re` took 57 s to find the `c`
    hit = engine.feed(near_miss)
    assert hit is not None and hit.signature_id == "quick-rule"  # the next candidate wins
    assert engine.feed_many([near_miss, _record("aac")])[1].signature_id == "slow-rule"
    assert engine.search_timeouts == {"slow-rule": 2}
    assert engine.matcher.timeouts == {}  # taken by the engine
    (message,) = engine.timeout_errors()
    assert message.startswith("slow-rule: 2 search(es) gave up after 50 ms")
    verdicts = {v.signature_id: v.gate for v in engine.matcher.explain(near_miss)}
    assert verdicts == {"slow-rule": Gate.TIMEOUT, "quick-rule": Gate.PASSED}
    engine.absorb(0, 0, "a.log", (), {"slow-rule": 3})  # from a worker
    assert engine.search_timeouts == {"slow-rule": 5}


def test_unknown_level_passes_the_level_gate(engine: Engine) -> None:
    assert engine.feed(_record("disk almost full", level=None)) is not None


def test_min_count_within_window(engine: Engine) -> None:
    for minutes in (0, 2, 4):  # three hits, never three within 60 s
        engine.feed(_record("disk almost full", at=T0 + timedelta(minutes=minutes)))
    assert engine.findings() == []
    assert engine.aggregator.below_threshold() == {"disk-almost-full": 3}
    for seconds in (250, 290):  # with the hit at 240 s: three within 60 s
        engine.feed(_record("disk almost full", at=T0 + timedelta(seconds=seconds)))
    [finding] = engine.findings()
    assert finding.count == 5
    assert finding.first_seen == T0 and finding.last_seen == T0 + timedelta(seconds=290)


def test_sample_is_first_line_of_newest_record_redacted_and_capped(engine: Engine) -> None:
    engine.feed(_record("database unreachable at 10.1.2.3", at=T0 + timedelta(seconds=5), line=7))
    engine.feed(_record("database unreachable old", at=T0, line=9))  # older, read later
    engine.feed(
        _record("unreachable " + "y" * 1000 + "\nsecond line", at=T0 + timedelta(seconds=1))
    )
    [finding] = engine.findings()
    assert finding.sample == "database unreachable at <ip-1>"
    assert finding.sample_line == 7
    engine.feed(_record("unreachable " + "y" * 1000, at=T0 + timedelta(seconds=9)))
    [finding] = engine.findings()
    assert len(finding.sample) == 400 and finding.sample.endswith("…")


def _finding(signature_id: str, category: Category, severity: Severity, count: int) -> Finding:
    return Finding(signature_id, "p", severity, category, Area.NETWORK, "s", count=count)


def test_report_order_is_category_then_severity_then_count() -> None:
    findings = [
        _finding("e", Category.BUG, Severity.CRITICAL, 1),
        _finding("b", Category.LAYER8, Severity.WARNING, 9),
        _finding("a", Category.LAYER8, Severity.ERROR, 1),
        _finding("c", Category.LAYER8, Severity.WARNING, 20),
        _finding("d", Category.ENVIRONMENT, Severity.WARNING, 1),
    ]
    assert [f.signature_id for f in sort_findings(findings)] == ["a", "c", "b", "d", "e"]


@pytest.mark.parametrize(
    ("findings", "score", "status"),
    [
        ([], 100, HealthStatus.HEALTHY),
        ([("warning", 1)], 97, HealthStatus.HEALTHY),
        ([("error", 1)], 88, HealthStatus.WARNING),
        ([("critical", 1)], 70, HealthStatus.WARNING),
        ([("critical", 100)], 40, HealthStatus.CRITICAL),
        ([("critical", 10_000)], 40, HealthStatus.CRITICAL),
        ([("error", 1)] * 3, 64, HealthStatus.DEGRADED),
        ([("critical", 100)] * 4, 0, HealthStatus.CRITICAL),
    ],
)
def test_health_score(findings: list[tuple[str, int]], score: int, status: HealthStatus) -> None:
    items = [_finding("x", Category.BUG, Severity.parse(s), n) for s, n in findings]
    assert health_score(items).score == score
    assert health_score(items).status is status
