"""Runtime: one-shot scan — inputs → detect format → frame records → engine → findings."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from loghealth.engine import Engine, health_score
from loghealth.model import Finding, HealthScore, LogRecord
from loghealth.parsing import ParseContext, create_parser, detect_format, frame_records
from loghealth.parsing.detect import SAMPLE_LINES
from loghealth.sources import FileInput, read_lines

__all__ = ["ScanOptions", "ScanResult", "SourceReport", "iter_source_records", "scan_inputs"]


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """What to read and how: `format` None means auto-detect per file."""

    tz: tzinfo
    now: datetime
    format: str | None = None
    last: int | None = None
    since: datetime | None = None


@dataclass(slots=True)
class SourceReport:
    """Per-input figures: detected format, records, unparsed lines, detection scores, health."""

    path: str
    format: str
    records: int = 0
    unparsed: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    health: HealthScore | None = None


@dataclass(slots=True)
class ScanResult:
    """Everything a report needs."""

    records: int
    unparsed: int
    sources: list[SourceReport]
    findings: list[Finding]
    health: HealthScore
    below_threshold: dict[str, int]
    errors: list[str]


def iter_source_records(
    source: FileInput,
    options: ScanOptions,
    on_bytes: Callable[[int], None] | None = None,
) -> tuple[SourceReport, Iterator[LogRecord]]:
    """Detect the format of one input and return its report stub and its records (lazy)."""
    ctx = ParseContext(tz=options.tz, now=options.now, source=source.name)
    lines = read_lines(source, on_bytes)
    head = list(itertools.islice(lines, SAMPLE_LINES * 2))
    if options.format:
        report = SourceReport(path=source.name, format=options.format)
    else:
        detection = detect_format(head, ctx)
        report = SourceReport(path=source.name, format=detection.format, scores=detection.scores)
    parser = create_parser(report.format)
    fallback = create_parser("generic") if report.format != "generic" else None
    records = frame_records(itertools.chain(head, lines), parser, ctx, fallback)
    return report, records


def _selected(records: Iterable[LogRecord], options: ScanOptions) -> Iterable[LogRecord]:
    if options.since is not None:
        since = options.since
        records = (r for r in records if r.timestamp is None or r.timestamp >= since)
    if options.last is not None:
        return deque(records, maxlen=options.last)
    return records


def scan_inputs(
    inputs: Sequence[FileInput],
    engine: Engine,
    options: ScanOptions,
    on_bytes: Callable[[int], None] | None = None,
) -> ScanResult:
    """Scan every input through one engine and collect the result.

    Raises:
        loghealth.sources.InputError: an input cannot be read.
    """
    reports = []
    for source in inputs:
        report, records = iter_source_records(source, options, on_bytes)
        for record in _selected(records, options):
            report.records += 1
            report.unparsed += record.is_unparsed
            engine.feed(record)
        reports.append(report)
    findings = engine.findings()
    for report in reports:
        report.health = health_score(f for f in findings if f.source == report.path)
    return ScanResult(
        records=sum(r.records for r in reports),
        unparsed=sum(r.unparsed for r in reports),
        sources=reports,
        findings=findings,
        health=health_score(findings),
        below_threshold=engine.aggregator.below_threshold(),
        errors=list(engine.catalog.errors) + list(engine.errors),
    )
