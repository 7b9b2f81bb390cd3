"""Runtime: `scan --jobs N` — match inputs in worker processes, merge in source order.

Inputs are split into tasks: a whole input (small files, `.gz`, and every file under `--last`),
or a byte range of a big file cut at *record boundaries* — the start of a line that the file's
parser reads as a new record, which the framer always starts a record at, whatever came before.
Workers frame and match (lazily where `scan.lazy_applies`, as in one process); the main process
absorbs their counts and hits in source order into the one `Engine`, so aggregation, thresholds
and redaction run exactly as with one job. A chunk's line numbers are relative and shifted by
the lines of the chunks before it. Standard input is read in the main process. Assumes, as
framing does, that a parser reads a line the same way whatever lines it saw before.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO

from loghealth.engine import Engine, Matcher
from loghealth.engine.backends import DatabaseCache, EngineKind
from loghealth.engine.core import CompactHit, compact_hit
from loghealth.gc_policy import collector_paused, space_young_collections
from loghealth.model import LogRecord
from loghealth.parsing import ParseContext, create_parser
from loghealth.parsing.base import parse_line
from loghealth.rules.loader import Catalog
from loghealth.runtime.lazy import scan_file_lazily
from loghealth.runtime.scan import (
    ScanOptions,
    SourceReport,
    batched,
    detect_source,
    frame_lines,
    iter_source_records,
    lazy_applies,
    select_records,
)
from loghealth.sources.files import GZIP_MAGIC, FileInput, InputError, decode_line

__all__ = [
    "CHUNK_BYTES",
    "PARALLEL_MIN_BYTES",
    "Task",
    "TaskResult",
    "plan_tasks",
    "read_range",
    "run_task",
    "scan_parallel",
]

CHUNK_BYTES = 32 * 1024 * 1024
"""A file larger than this is split into chunks of about this size."""
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
"""Below this total input size worker processes cost more than they save: scan in-process."""
_BOUNDARY_SEARCH_BYTES = 1024 * 1024
_worker_matcher: Matcher | None = None
START_METHOD = ""
"""Force a `multiprocessing` start method for workers (tests compare them); "" chooses."""


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work: a whole input (`log_format` None), or bytes [start, end) of a file."""

    index: int
    source: FileInput
    log_format: str | None = None
    start: int = 0
    end: int | None = None


@dataclass(slots=True)
class TaskResult:
    """Counts and hits of one task; `lines` is the number of lines it read (chunks only).

    `hits` are compact tuples (`engine.CompactHit`): they cross the process boundary.
    `timeouts` are the user rules' searches that ran out of time (`Matcher.take_timeouts`).
    """

    records: int = 0
    unparsed: int = 0
    lines: int = 0
    hits: list[CompactHit] = field(default_factory=list)
    report: SourceReport | None = None
    timeouts: dict[str, int] = field(default_factory=dict)


def read_range(path: Path, start: int, end: int | None) -> Iterator[str]:
    """Decoded lines of bytes [start, end) of a file (`end` None: to the end of the file).

    `start` and `end` must be line starts. Lines are decoded as `sources.read_lines` does.

    Raises:
        InputError: the file cannot be read.
    """
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            position = start
            for raw in handle:
                if end is not None and position >= end:
                    break
                position += len(raw)
                yield decode_line(raw)
    except OSError as error:
        raise InputError(f"{path}: {error.strerror or error}") from None


def _boundary_after(
    handle: BinaryIO, offset: int, log_format: str, ctx: ParseContext
) -> int | None:
    """The first line start at or after `offset` that starts a record, within a search window."""
    handle.seek(offset - 1)
    window = handle.read(_BOUNDARY_SEARCH_BYTES)
    parser = create_parser(log_format)
    position = window.find(b"\n")
    while position != -1:
        line_start = position + 1
        position = window.find(b"\n", line_start)
        if position == -1:
            return None
        line = decode_line(window[line_start:position])
        if line and parse_line(parser, line, ctx) is not None:
            return offset - 1 + line_start
    return None


def _chunk_starts(
    source: FileInput, log_format: str, options: ScanOptions, chunk: int
) -> list[int]:
    path = source.path
    if path is None or source.size_bytes <= chunk:
        return [0]
    ctx = ParseContext(tz=options.tz, now=options.now, source=source.name)
    starts = [0]
    with path.open("rb") as handle:
        if handle.read(2) == GZIP_MAGIC:
            return [0]
        for target in range(chunk, source.size_bytes, chunk):
            found = _boundary_after(handle, max(target, starts[-1] + 1), log_format, ctx)
            if found is not None and found > starts[-1] and found < source.size_bytes:
                starts.append(found)
    return starts


def plan_tasks(
    inputs: Sequence[FileInput], options: ScanOptions, chunk_bytes: int = CHUNK_BYTES
) -> tuple[list[Task], list[SourceReport | None]]:
    """Split inputs into tasks, in source order; chunked inputs get their report stub here.

    Returns the tasks and, per input, its report stub (None when a worker detects the format).

    Raises:
        InputError: an input cannot be read.
    """
    tasks: list[Task] = []
    stubs: list[SourceReport | None] = []
    for index, source in enumerate(inputs):
        if source.path is None or options.last is not None or source.size_bytes <= chunk_bytes:
            tasks.append(Task(index, source))
            stubs.append(None)
            continue
        report = detect_source(source, options)
        starts = _chunk_starts(source, report.format, options, chunk_bytes)
        ends: list[int | None] = [*starts[1:], None]
        tasks.extend(
            Task(index, source, report.format, a, b) for a, b in zip(starts, ends, strict=True)
        )
        stubs.append(report)
    return tasks, stubs


def run_task(task: Task, options: ScanOptions, matcher: Matcher | None = None) -> TaskResult:
    """Frame and match one task (in a worker, or in-process with `matcher`).

    Raises:
        InputError: the input cannot be read.
    """
    matcher = matcher or _worker_matcher
    if matcher is None:
        raise RuntimeError("worker matcher not initialised")
    result = _match_task(task, options, matcher)
    result.timeouts = dict(matcher.take_timeouts())
    return result


def _match_task(task: Task, options: ScanOptions, matcher: Matcher) -> TaskResult:
    if task.source.path is not None and options.lazy:
        lazy = _run_lazily(task, options, matcher)
        if lazy is not None:
            return lazy
    result = TaskResult()
    if task.log_format is None:
        result.report, records = iter_source_records(task.source, options)
    elif task.source.path is not None:
        ctx = ParseContext(tz=options.tz, now=options.now, source=task.source.name, fields=False)
        lines = read_range(task.source.path, task.start, task.end)
        records = frame_lines(_counting(lines, result), task.log_format, ctx)
    else:
        raise ValueError("only files can be read in chunks")
    for batch in batched(select_records(records, options)):
        result.records += len(batch)
        result.unparsed += sum(record.is_unparsed for record in batch)
        result.hits.extend(compact_hit(hit) for hit in matcher.match_many(batch) if hit)
    return result


def _run_lazily(task: Task, options: ScanOptions, matcher: Matcher) -> TaskResult | None:
    """`run_task` through `runtime.lazy` when that gives the same result; else None."""
    path = task.source.path
    if path is None:
        return None
    result = TaskResult()
    log_format = task.log_format
    if log_format is None:
        result.report = detect_source(task.source, options)
        log_format = result.report.format
    if not lazy_applies(task.source, log_format, options, matcher):
        return None

    def collect(batch: list[LogRecord]) -> None:
        result.hits.extend(compact_hit(hit) for hit in matcher.match_many(batch) if hit)

    ctx = ParseContext(tz=options.tz, now=options.now, source=task.source.name, fields=False)
    counts = scan_file_lazily(
        path, log_format, ctx, matcher, collect, start=task.start, end=task.end
    )
    result.records, result.unparsed = counts.records, counts.unparsed
    if task.log_format is not None:
        result.lines = counts.lines
    return result


def _counting(lines: Iterator[str], result: TaskResult) -> Iterator[str]:
    for line in lines:
        result.lines += 1
        yield line


def _init_worker(catalog: Catalog, engine: EngineKind, cache: DatabaseCache | None) -> None:
    """Build the worker's matcher (a worker started by a fork server or spawned)."""
    global _worker_matcher
    with collector_paused():  # the catalog and matcher live as long as the worker
        _worker_matcher = Engine(catalog, engine=engine, cache=cache).matcher
    space_young_collections()  # a worker only scans (see `gc_policy`)


def _adopt_matcher(matcher: Matcher) -> None:
    """Use the matcher the parent built (a forked worker holds a copy of it already)."""
    global _worker_matcher
    _worker_matcher = matcher
    space_young_collections()  # a worker only scans (see `gc_policy`)


def _context() -> multiprocessing.context.BaseContext:
    """How to start workers: `fork` when this process runs no other thread, else `forkserver`.

    A forked worker starts at once with a copy of the parent's matcher (`gc.freeze` keeps those
    pages shared): no interpreter start, imports or catalog compile — 0.4 s less before a 1 GB
    scan's workers begin (`cli.common.progress_for` draws its bar without a thread for this).
    Forking a process that runs other threads can copy a lock another thread holds; then
    workers fork from a clean single-threaded fork server, or are spawned where there is none.
    """
    methods = multiprocessing.get_all_start_methods()
    if START_METHOD in methods:
        return multiprocessing.get_context(START_METHOD)
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["loghealth.runtime.parallel"])
        return context
    return multiprocessing.get_context("spawn")


def scan_parallel(
    inputs: Sequence[FileInput],
    engine: Engine,
    options: ScanOptions,
    jobs: int,
    on_bytes: Callable[[int], None] | None = None,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    min_bytes: int = PARALLEL_MIN_BYTES,
) -> list[SourceReport]:
    """Scan `inputs` with `jobs` worker processes into `engine`; return reports in input order.

    Forked workers (where this process runs no other thread) inherit `engine`'s matcher. Others
    build their own; with a database cache they load the databases the main process saved there
    instead of compiling them again (about 0.4 s each).

    Raises:
        InputError: an input cannot be read.
    """
    tasks, reports = plan_tasks(inputs, options, chunk_bytes)
    if sum(source.size_bytes for source in inputs) < min_bytes or len(tasks) < 2:
        local = (partial(run_task, task, options, engine.matcher) for task in tasks)
        return _absorb_all(tasks, reports, engine, on_bytes, local)
    cache = engine.matcher.cache
    context = _context()
    forked = context.get_start_method() == "fork"
    if options.lazy and (forked or cache is not None):
        engine.matcher.raw_scanner()  # built once here: inherited by forked workers, or cached
    initializer: Callable[..., None] = _adopt_matcher if forked else _init_worker
    initargs = (engine.matcher,) if forked else (engine.catalog, engine.matcher.engine, cache)
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=initializer, initargs=initargs
    ) as pool:
        window: deque[Callable[[], TaskResult]] = deque()

        def results() -> Iterator[Callable[[], TaskResult]]:
            for task in tasks:
                if task.source.path is None:
                    window.append(partial(run_task, task, options, engine.matcher))
                else:
                    window.append(pool.submit(run_task, task, options).result)
                if len(window) >= 2 * jobs:
                    yield window.popleft()
            while window:
                yield window.popleft()

        return _absorb_all(tasks, reports, engine, on_bytes, results())


def _absorb_all(
    tasks: list[Task],
    reports: list[SourceReport | None],
    engine: Engine,
    on_bytes: Callable[[int], None] | None,
    results: Iterator[Callable[[], TaskResult]],
) -> list[SourceReport]:
    line_base = [0] * len(reports)
    for task, pending in zip(tasks, results, strict=True):
        result = pending()
        if result.report is not None:
            reports[task.index] = result.report
        report = reports[task.index]
        if report is None:
            raise RuntimeError(f"no report for {task.source.name}")
        base = line_base[task.index]
        hits = result.hits
        if base:
            hits = [
                (signature, seen, line + base, message) for signature, seen, line, message in hits
            ]
        line_base[task.index] += result.lines
        report.records += result.records
        report.unparsed += result.unparsed
        engine.absorb(result.records, result.unparsed, task.source.name, hits, result.timeouts)
        if on_bytes is not None:
            end = task.source.size_bytes if task.end is None else task.end
            on_bytes(end - task.start)
    return [r for r in reports if r is not None]
