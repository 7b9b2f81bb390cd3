"""Runtime: one-shot scan — inputs → detect format → frame records → engine → findings.

Records go to the engine in batches (`BATCH_RECORDS`), so the fast prefilter scans many messages
per call. Plain files in a format with a quick pattern are scanned lazily (`runtime.lazy`: only
records near a possible match are parsed, the rest counted) unless `--since`/`--last` need every
record's time; `ScanOptions(lazy=False)` forces the full parse, the reference. With `jobs` > 1
large inputs are matched in worker processes (`runtime.parallel`); the result is the same as with
one job.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from loghealth.engine import Engine, Matcher, health_score
from loghealth.model import Finding, HealthScore, LogRecord
from loghealth.parsing import ParseContext, create_parser, detect_format, frame_records
from loghealth.parsing.detect import SAMPLE_LINES
from loghealth.runtime.lazy import can_scan_lazily, scan_file_lazily
from loghealth.sources import FileInput, read_lines

__all__ = [
    "BATCH_RECORDS",
    "ScanOptions",
    "ScanResult",
    "SourceReport",
    "batched",
    "detect_source",
    "frame_lines",
    "iter_source_records",
    "lazy_applies",
    "scan_inputs",
    "select_records",
]

BATCH_RECORDS = 1024
"""Records matched per engine call: large enough to amortise a prefilter scan, small in memory."""


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """What to read and how: `format` None means auto-detect per file.

    `lazy` False parses every record (the reference path); True parses lazily where that gives
    the same result (see `lazy_applies`).
    """

    tz: tzinfo
    now: datetime
    format: str | None = None
    last: int | None = None
    since: datetime | None = None
    lazy: bool = True


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


def detect_source(
    source: FileInput, options: ScanOptions, head: Sequence[str] | None = None
) -> SourceReport:
    """The report stub of one input: its format (forced, or detected from its first lines).

    Raises:
        loghealth.sources.InputError: the input cannot be read.
    """
    if options.format:
        return SourceReport(path=source.name, format=options.format)
    if head is None:
        lines = read_lines(source)
        try:
            head = list(itertools.islice(lines, SAMPLE_LINES * 2))
        finally:
            close = getattr(lines, "close", None)  # a generator: release the file now
            if close is not None:
                close()
    ctx = ParseContext(tz=options.tz, now=options.now, source=source.name)
    detection = detect_format(head, ctx)
    return SourceReport(path=source.name, format=detection.format, scores=detection.scores)


def iter_source_records(
    source: FileInput,
    options: ScanOptions,
    on_bytes: Callable[[int], None] | None = None,
) -> tuple[SourceReport, Iterator[LogRecord]]:
    """Detect the format of one input and return its report stub and its records (lazy)."""
    ctx = ParseContext(tz=options.tz, now=options.now, source=source.name)
    lines = read_lines(source, on_bytes)
    head = list(itertools.islice(lines, SAMPLE_LINES * 2))
    report = detect_source(source, options, head)
    return report, frame_lines(itertools.chain(head, lines), report.format, ctx)


def frame_lines(lines: Iterable[str], log_format: str, ctx: ParseContext) -> Iterator[LogRecord]:
    """Frame decoded lines of one input as `log_format` (with `generic` as the fallback)."""
    parser = create_parser(log_format)
    fallback = create_parser("generic") if log_format != "generic" else None
    return frame_records(lines, parser, ctx, fallback)


def batched(records: Iterable[LogRecord], size: int = BATCH_RECORDS) -> Iterator[list[LogRecord]]:
    """Split a record stream into lists of at most `size` records, in order."""
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def select_records(records: Iterable[LogRecord], options: ScanOptions) -> Iterable[LogRecord]:
    """Apply `--since` (records without a timestamp are kept) and then `--last`."""
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
    jobs: int = 1,
) -> ScanResult:
    """Scan every input through one engine and collect the result.

    `jobs` > 1 matches large inputs in that many worker processes (by file, and by chunk of a
    big file on record boundaries); findings and counts are the same as with `jobs` = 1.

    Raises:
        loghealth.sources.InputError: an input cannot be read.
    """
    if jobs > 1:
        from loghealth.runtime.parallel import scan_parallel

        reports = scan_parallel(inputs, engine, options, jobs, on_bytes)
    else:
        reports = [_scan_one(source, engine, options, on_bytes) for source in inputs]
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
        errors=[*engine.catalog.errors, *engine.errors, *engine.timeout_errors()],
    )


def lazy_applies(
    source: FileInput, log_format: str, options: ScanOptions, matcher: Matcher
) -> bool:
    """True when `source` can be scanned lazily with the same result as a full parse.

    Needs: `options.lazy`, no `--since`/`--last` (they need every record's time), a file (plain
    or gzip; not stdin), a format with a quick pattern and a matcher with a raw prefilter.
    """
    if not options.lazy or options.since is not None or options.last is not None:
        return False
    return source.path is not None and can_scan_lazily(log_format, matcher)


def _scan_one(
    source: FileInput,
    engine: Engine,
    options: ScanOptions,
    on_bytes: Callable[[int], None] | None,
) -> SourceReport:
    if options.lazy and source.path is not None:
        report = detect_source(source, options)
        if lazy_applies(source, report.format, options, engine.matcher):
            fed = 0

            def feed(batch: list[LogRecord]) -> None:
                nonlocal fed
                fed += len(batch)
                engine.feed_many(batch)

            ctx = ParseContext(tz=options.tz, now=options.now, source=source.name, fields=False)
            counts = scan_file_lazily(
                source.path, report.format, ctx, engine.matcher, feed, on_bytes=on_bytes
            )
            engine.absorb(counts.records - fed, 0)
            report.records, report.unparsed = counts.records, counts.unparsed
            return report
    report, records = iter_source_records(source, options, on_bytes)
    for batch in batched(select_records(records, options)):
        report.records += len(batch)
        report.unparsed += sum(record.is_unparsed for record in batch)
        engine.feed_many(batch)
    return report
