r"""Runtime: lazy scanning — count records cheaply, fully parse only those near a possible match.

A file is read in blocks of whole lines (`\r` before a line end dropped, as decoding does). Per
block, at C speed: the parser's quick pattern (`parsing.quick`) finds the lines that do *not*
surely start a one-line record ("unsure": a continuation, another format, a line with bytes
outside printable ASCII); the backend's raw scanner (`engine.backends.raw`) finds the lines
where a signature that can apply to the file's format might match ("candidates"). Every unsure
or candidate line is pushed through the one `Framer` of the file — with the line before it when
the unsure lines might fold into that line's record — so these records come out exactly as in a
full parse, and the parser sees the lines that can change its state (`PythonLoggingParser`'s
layout order). Every other line is a one-line record of the file's format whose message cannot
match any signature that applies to it: it is only counted. So is a record whose unsure lines
provably fold into it, none of them a candidate (`_LazyScan._quiet_record`: a traceback under
an ERROR line). Counts, hits, line numbers — and so findings — equal those of the full path
(`scan.frame_lines`); the property tests in tests/unit/runtime/test_lazy.py check it.
"""

from __future__ import annotations

import ctypes
import functools
import gzip
import io
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loghealth.engine import Matcher
from loghealth.engine.backends.raw import RawScanner
from loghealth.model import LogRecord
from loghealth.parsing import Framer, ParseContext, Parser, create_parser
from loghealth.parsing.base import parse_line
from loghealth.parsing.framing import (
    MAX_FOLDED_CHARS,
    MAX_FOLDED_LINES,
    folds_quietly,
    is_continuation_line,
)
from loghealth.parsing.quick import depends_on_state, marks_continuations, quick_pattern
from loghealth.sources.files import READ_ERRORS, InputError, decode_line, open_file

__all__ = ["BLOCK_BYTES", "LazyCounts", "can_scan_lazily", "scan_file_lazily"]

BLOCK_BYTES = 4 * 1024 * 1024
"""Bytes read per block: large enough for C-speed passes, small in memory."""
_BATCH = 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h> `mallopt` parameters
_UNSAFE_LINE = re.compile(rb"^[^\n]*?[^\t\n\x20-\x7e]", re.MULTILINE)
_LINE_END_CR = re.compile(rb"\r+\n")
_OPENS_BLOCK = re.compile(rb"Traceback \(most recent call last\)|goroutine \d+ \[")
r"""`framing`'s block openers, for a printable ASCII line (where `\d` means the same)."""
_finders: dict[bytes | None, UnsureFinder] = {}
try:
    import pcre2 as _pcre2  # type: ignore[import-untyped]

    _PCRE2_ERRORS: tuple[type[Exception], ...] = (_pcre2.LibraryError, _pcre2.PatternError)
except ImportError:  # an optional speed-up: `re` gives the same offsets
    _pcre2 = None
    _PCRE2_ERRORS = ()
USE_PCRE2 = True
"""False: find unsure lines with `re` only (tests compare the two)."""


@dataclass(slots=True)
class LazyCounts:
    """What a lazy scan counted: records, unparsed (raw) records, lines read, lines parsed."""

    records: int = 0
    unparsed: int = 0
    lines: int = 0
    parsed_lines: int = 0


def can_scan_lazily(log_format: str, matcher: Matcher) -> bool:
    """True when `log_format` has a quick pattern and the matcher a raw-text prefilter."""
    try:
        parser = create_parser(log_format)
    except ValueError:
        return False
    return quick_pattern(parser) is not None and matcher.raw_scanner() is not None


class UnsureFinder:
    r"""Finds the `\n` before each line a quick pattern does not match.

    PCRE2 with its JIT (the `pcre2` package) runs this search 5-6x faster than `re` on log
    lines; where it is not installed, cannot take the pattern, or gives up on a block (its match
    limit), `re` finds the same offsets — tests/unit/runtime/test_unsure.py compares the two.
    """

    def __init__(self, source: bytes | None) -> None:
        self.source = source
        expression = rb"\n" if source is None else rb"\n(?!(?:" + source + rb"))"
        self.regex = re.compile(expression, re.MULTILINE)
        self.jit = _jit(expression)

    def starts(self, data: bytes, pos: int, endpos: int) -> Iterator[int]:
        r"""Offsets of those `\n` in `data[pos:endpos]`, ascending (`endpos` ends the data)."""
        resume = pos
        if self.jit is not None:
            try:
                for found in self.jit.finditer(data, pos, endpos):
                    start: int = found.start()
                    yield start
                    resume = start + 1
                return
            except _PCRE2_ERRORS:
                pass  # `re` takes over where PCRE2 stopped
        for found in self.regex.finditer(data, resume, endpos):
            yield found.start()


def _jit(expression: bytes) -> Any:
    """`expression` compiled by PCRE2 with JIT, multi-line; None when that is not possible."""
    if _pcre2 is None or not USE_PCRE2:
        return None
    try:
        compiled = _pcre2.compile(expression, _pcre2.MULTILINE)
        compiled.jit_compile()
    except _PCRE2_ERRORS:
        return None
    return compiled


def _unsure_finder(parser: Parser) -> UnsureFinder:
    r"""The finder of the lines the parser's quick pattern does not match (now)."""
    source = quick_pattern(parser)
    finder = _finders.get(source)
    if finder is None:
        finder = _finders[source] = UnsureFinder(source)
    return finder


class _Block:
    r"""One buffer: `\n`, then whole lines each ending in `\n`. Offsets are line starts."""

    def __init__(self, data: bytes, parser: Parser, scanner: RawScanner) -> None:
        self.data = data
        self.end = len(data)
        self._parser = parser
        self._unsafe: list[int] = []
        if scanner.has_unsafe(data):
            self._unsafe = [m.start() for m in _UNSAFE_LINE.finditer(data, 1)]
        starts = {data.rfind(b"\n", 0, end - 1) + 1 for end in scanner.ends(data)}
        starts.discard(0)
        self._candidates = sorted(starts)
        self._run = (0, 0)  # [start, stop) of a run of unsure lines already found
        self._finder = _unsure_finder(parser)
        self._restart(1)

    def _restart(self, position: int) -> None:
        self._matches = self._finder.starts(self.data, position - 1, self.end - 1)
        self._head = self._pull()
        self._run = (0, 0)

    def _pull(self) -> int:
        found = next(self._matches, None)
        return self.end if found is None else found + 1

    def refresh(self, position: int) -> None:
        """Follow a change of the parser's state (its quick pattern) from `position` on."""
        # `quick_pattern` hands out the same bytes object per state: identity is enough
        if quick_pattern(self._parser) is not self._finder.source:
            self._finder = _unsure_finder(self._parser)
            self._restart(position)

    def next_unsure(self, position: int) -> int:
        """The first unsure line start at or after `position` (`end` if none).

        `position` may go back only into the last run `unsure_run` found.
        """
        run_start, run_stop = self._run
        if run_start <= position < run_stop:
            return position
        while self._head < position:
            self._head = self._pull()
        if self._unsafe:
            return min(self._head, self.next_unsafe(position))
        return self._head

    def unsure_run(self, start: int) -> int:
        """Where the run of unsure lines from `start` (an unsure line) ends: a line start, `end`."""
        stop = start
        while stop < self.end and self.next_unsure(stop) == stop:
            stop = self.data.index(b"\n", stop) + 1
        self._run = (start, stop)
        return stop

    def next_unsafe(self, position: int) -> int:
        """The first line start at or after `position` of a line outside printable ASCII."""
        index = bisect_left(self._unsafe, position)
        return self._unsafe[index] if index < len(self._unsafe) else self.end

    def next_candidate(self, position: int) -> int:
        """The first candidate line start at or after `position` (`end` if none)."""
        index = bisect_left(self._candidates, position)
        return self._candidates[index] if index < len(self._candidates) else self.end


class _LazyScan:
    """The state of one lazy scan: the framer, the line count, the batch of parsed records."""

    def __init__(
        self,
        parser: Parser,
        ctx: ParseContext,
        scanner: RawScanner,
        on_records: Callable[[list[LogRecord]], None],
    ) -> None:
        fallback = create_parser("generic") if parser.name != "generic" else None
        self.parser = parser
        self.scanner = scanner
        self.framer = Framer(parser, ctx, fallback)
        self.marks_continuations = marks_continuations(parser)
        self.stateful = depends_on_state(parser)
        self.counts = LazyCounts()
        self.on_records = on_records
        self.batch: list[LogRecord] = []
        self.first_line = 1  # line number of the current block's first line

    def emit(self, record: LogRecord | None) -> None:
        if record is None:
            return
        self.batch.append(record)
        self.counts.records += 1
        self.counts.unparsed += record.is_unparsed
        if len(self.batch) >= _BATCH:
            self.flush_batch()

    def flush_batch(self) -> None:
        if self.batch:
            self.on_records(self.batch)
            self.batch = []

    def block(self, data: bytes, final: bool) -> bytes:
        """Scan one buffer; return the last line when it must wait for the next buffer."""
        if b"\r" in data:  # line ends `\r\n`: drop what decoding drops, keep one line per line
            data = _LINE_END_CR.sub(b"\n", data)
        block = _Block(data, self.parser, self.scanner)
        end = block.end
        position = 1
        line = self.first_line
        carry = b""
        while position < end:
            unsure = block.next_unsure(position)
            special = min(unsure, block.next_candidate(position))
            if special >= end:
                stop = end if final else data.rfind(b"\n", 0, end - 1) + 1
                skipped = data.count(b"\n", position, stop)
                self.counts.records += skipped
                line += skipped
                carry = data[stop:end]
                break
            start = special
            if unsure == special and special > position:
                opener = data.rfind(b"\n", 0, special - 1) + 1
                if self._may_fold(data, opener, special):
                    stop = self._quiet_record(block, opener, special, final)
                    if stop:  # lines [opener, stop) are one record no signature can hit
                        self.emit(self.framer.flush())
                        self.counts.records += data.count(b"\n", position, opener) + 1
                        line += data.count(b"\n", position, stop)
                        position = stop
                        continue
                    start = opener
                else:  # the record open in the framer ended before `opener`
                    self.emit(self.framer.flush())
            skipped = data.count(b"\n", position, start)
            self.counts.records += skipped
            line += skipped
            position, pushed = self._span(block, start, line)
            line += pushed
        self.counts.lines += line - self.first_line
        self.first_line = line
        return carry

    def _may_fold(self, data: bytes, opener: int, start: int) -> bool:
        """Whether the unsure lines from `start` might fold into the one-line record at `opener`.

        They cannot when the first is neither blank (the framer skips a blank line and keeps the
        record open) nor a continuation line (by its shape, or by the parser's word when it
        `marks_continuations`), and the record opens no traceback block (which folds any line):
        then that line starts the next record, whatever the framer holds.
        """
        text = decode_line(data[start : data.index(b"\n", start)])
        if not text.strip() or is_continuation_line(text):
            return True
        if self.marks_continuations:
            parsed = parse_line(self.parser, text, self.framer.ctx)
            if parsed is not None and parsed.continuation:
                return True
        return _OPENS_BLOCK.search(data, opener, start) is not None

    def _quiet_record(self, block: _Block, opener: int, start: int, final: bool) -> int:
        r"""Where the record at `opener` ends, if it provably cannot hit; else 0 (push its lines).

        That is, when its unsure lines from `start` provably fold into it and none of its lines
        is a candidate. Then the record is only counted: its message — the first line's message,
        which must end that line, and the other lines, joined by `\n` — lies as it is in the raw
        text, where the raw scanner reports every possible match. `framing.folds_quietly` proves,
        line by line, what `Framer.push` would do. A record near the fold limits, with a line
        outside printable ASCII, a block opener in its first line or running to the end of the
        buffer is left to the framer. So a traceback under an ERROR line, with no signature in
        it, costs one parse and a few cheap checks instead of a parse, a record and a match.
        """
        data, end = block.data, block.end
        if _OPENS_BLOCK.search(data, opener, start) is not None:
            return 0
        stop = block.unsure_run(start)  # the lines `_span` would push
        if (
            (stop >= end and not final)  # the record may go on in the next buffer
            or block.next_candidate(opener) < stop
            or block.next_unsafe(opener) < stop
            or stop - start > MAX_FOLDED_CHARS
            or data.count(b"\n", start, stop) >= MAX_FOLDED_LINES
        ):
            return 0
        parser, ctx = self.parser, self.framer.ctx
        first = data[opener : start - 1].decode("ascii")
        parsed = parse_line(parser, first, ctx)  # sure: it starts a record, in the same layout
        if parsed is None or not first.endswith(parsed.message):
            return 0  # the message's lines may not lie together in the raw text
        lines = data[start : stop - 1].decode("ascii").split("\n")
        return stop if folds_quietly(parser, ctx, lines) else 0

    def _span(self, block: _Block, start: int, line: int) -> tuple[int, int]:
        """Push lines from `start` while the next one is unsure; return (stop, lines pushed)."""
        data, framer, stateful = block.data, self.framer, self.stateful
        framer.line_no = line - 1
        position = start
        pushed = 0
        while True:
            newline = data.index(b"\n", position)
            self.emit(framer.push(decode_line(data[position:newline])))
            pushed += 1
            position = newline + 1
            if position >= block.end:
                break
            if stateful:
                block.refresh(position)
            if block.next_unsure(position) != position:
                break
        self.counts.parsed_lines += pushed
        return position, pushed

    def finish(self) -> LazyCounts:
        self.emit(self.framer.flush())
        self.flush_batch()
        return self.counts


def scan_file_lazily(
    path: Path,
    log_format: str,
    ctx: ParseContext,
    matcher: Matcher,
    on_records: Callable[[list[LogRecord]], None],
    *,
    start: int = 0,
    end: int | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> LazyCounts:
    """Scan bytes [start, end) of a file lazily; `start`, `end` are line starts.

    A gzip file (RFC 1952; found by its magic bytes) is read decompressed, whole: `start` must be
    0 and `end` None, and `on_bytes` counts decompressed bytes, as `sources.read_lines` does.
    `on_records` receives, in source order and in batches, every record that was fully parsed
    (the only ones that can hit); the others are counted in the result. Lines are numbered from 1
    at `start`. Call only when `can_scan_lazily(log_format, matcher)`.

    Raises:
        InputError: the file cannot be read, or its gzip stream is corrupt or truncated.
        ValueError: the matcher has no raw-text prefilter, or a range of a gzip file is asked for.
    """
    _keep_freed_blocks()
    parser = create_parser(log_format)
    scanner = matcher.raw_scanner(parser.name)  # what is not parsed is a record of this format
    if scanner is None:
        raise ValueError("the matcher has no raw-text prefilter")
    scan = _LazyScan(parser, ctx, scanner, on_records)
    try:
        with _open(path, start, end) as handle:
            _read_blocks(handle, None if end is None else end - start, scan, on_bytes)
    except READ_ERRORS as error:
        raise InputError(f"{path}: {getattr(error, 'strerror', None) or error}") from None
    return scan.finish()


@functools.cache
def _keep_freed_blocks() -> None:
    """Ask the C allocator (glibc's `mallopt`) to keep freed blocks for the next ones.

    Each block is a new 4 MiB `bytes`. By default glibc hands such memory back to the system
    when it is freed, so the next block's every page faults in fresh (zeroed): on the 1 GB bench
    116k page faults, 0.3 s of system time, about 5 % of the scan. Keeping up to 64 MiB of freed
    memory in the heap (objects up to 32 MiB come from the heap, not their own mapping) leaves
    14k faults and the same peak RSS. Process-wide, so only a scan asks; elsewhere (no glibc)
    nothing changes.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no C library to open, or not glibc's
        return
    mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)  # glibc's upper bound for it on 64-bit
    mallopt(_M_TRIM_THRESHOLD, 64 * 1024 * 1024)


def _read_blocks(
    handle: io.BufferedIOBase,
    remaining: int | None,
    scan: _LazyScan,
    on_bytes: Callable[[int], None] | None,
) -> None:
    r"""Feed `scan` the file's lines, block by block.

    A block is `\n`, the line the last block handed on, then the lines read up to the last line
    end; the bytes after it wait for the next read. Reading into one reused buffer spares a new
    4 MiB object a block (see `_keep_freed_blocks` for what a new one costs); the block itself
    is one new `bytes` (PCRE2 copies any other buffer it searches, on every search).
    """
    buffer = bytearray(BLOCK_BYTES)
    pending: list[bytes] = []  # the part of a line after the last line end read, in pieces
    carry = b""
    with memoryview(buffer) as view:
        while True:
            size = BLOCK_BYTES if remaining is None else min(BLOCK_BYTES, remaining)
            read = handle.readinto(view[:size]) if size > 0 else 0
            if not read:
                break
            if remaining is not None:
                remaining -= read
            if on_bytes is not None:
                on_bytes(read)
            cut = buffer.rfind(b"\n", 0, read) + 1
            if cut == 0:  # no line ends in what was read: read on
                pending.append(bytes(view[:read]))
                continue
            lines = b"".join([b"\n", carry, *pending, view[:cut]])
            pending = [bytes(view[cut:read])]
            carry = scan.block(lines, final=False)
    tail = b"".join(pending)
    if carry or tail:
        scan.block(b"".join([b"\n", carry, tail, b"\n" if tail else b""]), final=True)


def _open(path: Path, start: int, end: int | None) -> io.BufferedIOBase:
    """`path` opened for reading at `start` (`sources.open_file`: a gzip file decompressed)."""
    handle = open_file(path)
    if isinstance(handle, gzip.GzipFile):
        if start != 0 or end is not None:
            handle.close()
            raise ValueError("a gzip file can only be scanned whole")
    else:
        handle.seek(start)
    return handle
