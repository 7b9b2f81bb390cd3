"""Parsing: group lines into records — fold tracebacks and stack traces into the record above.

A line that starts a record in the file's format starts a new record. A line that looks like a
continuation (indented, `Traceback …`, `Caused by:`, `... 12 more`, an exception class line), or any
line while a traceback is open, is folded into the current record's message. Any other line is
tried with the fallback parser, and failing that becomes a raw record (counted as unparsed) — a
line is never dropped.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator

from loghealth.model import LogRecord
from loghealth.parsing.base import PARSE_ERRORS, FirstChars, Parsed, Parser, parse_line
from loghealth.parsing.context import ParseContext

__all__ = [
    "MAX_FOLDED_CHARS",
    "MAX_FOLDED_LINES",
    "Framer",
    "folds_quietly",
    "frame_records",
    "is_continuation_line",
]

MAX_FOLDED_LINES = 5_000
"""Continuation lines folded into one record at most; later ones start raw records."""
MAX_FOLDED_CHARS = 2 * 1024 * 1024
"""Characters folded into one record's message at most (bounds memory on runaway dumps)."""

_CONTINUATION = re.compile(
    r"\s"
    r"|Traceback \(most recent call last\)"
    r"|During handling of the above exception"
    r"|The above exception was the direct cause"
    r"|Caused by:"
    r"|Suppressed:"
    r"|\.\.\. \d+ (?:more|common frames omitted)"
    r"|[\w$.]*(?:Error|Exception|Throwable|Exit|Interrupt|Warning|Fault)\b(?::|$)"
    r"|goroutine \d+ \["
    r"|\^+$"
    r"|\}\s*$"
)
_OPENS_BLOCK = re.compile(r"Traceback \(most recent call last\)|goroutine \d+ \[")
_GOROUTINE = re.compile(r"goroutine \d+ \[")


def _opens_block(message: str) -> bool:
    """`_OPENS_BLOCK.search(message)`, with substring tests first (4x cheaper on most lines)."""
    if "Traceback (most recent call last)" in message:
        return True
    return "goroutine " in message and _GOROUTINE.search(message) is not None


def is_continuation_line(line: str) -> bool:
    """True for a line that continues a record (indented, traceback or stack-trace lines)."""
    return bool(line) and _CONTINUATION.match(line) is not None


def folds_quietly(parser: Parser, ctx: ParseContext, lines: Iterable[str]) -> bool:
    """True when a `Framer` over `parser` would fold `lines` into the record open before them.

    Or skip them (blank lines): either way without `parser` understanding any of them, so its
    state stays the same. Assumes that record's message opens no block and that it has room for
    all of `lines` (`MAX_FOLDED_LINES`, `MAX_FOLDED_CHARS`): the caller checks both.
    """
    in_block = False
    for line in lines:
        if line and parse_line(parser, line, ctx) is not None:
            return False
        if in_block or is_continuation_line(line):
            in_block = in_block or _OPENS_BLOCK.match(line) is not None
        elif line.strip():
            return False  # it starts a record of its own
    return True


# `LogRecord(...)` sets each of its 9 slots through `object.__setattr__` (it is frozen); the
# slots' own setters do the same for 45 % less (0.4 us a record). Any field added to LogRecord
# breaks this unpacking at import; tests/unit/parsing/test_framing.py checks the records are equal.
(
    _SET_TIMESTAMP,
    _SET_LEVEL,
    _SET_LOGGER,
    _SET_MESSAGE,
    _SET_FIELDS,
    _SET_RAW,
    _SET_FORMAT,
    _SET_SOURCE,
    _SET_LINE,
) = (LogRecord.__dict__[item.name].__set__ for item in dataclasses.fields(LogRecord))


def _new_record(parsed: Parsed, raw: str, fmt: str, source: str, line: int) -> LogRecord:
    """`LogRecord(parsed.timestamp, …, parsed.fields, raw, fmt, source, line)`, faster."""
    record: LogRecord = object.__new__(LogRecord)
    _SET_TIMESTAMP(record, parsed.timestamp)
    _SET_LEVEL(record, parsed.level)
    _SET_LOGGER(record, parsed.logger)
    _SET_MESSAGE(record, parsed.message)
    _SET_FIELDS(record, parsed.fields)
    _SET_RAW(record, raw)
    _SET_FORMAT(record, fmt)
    _SET_SOURCE(record, source)
    _SET_LINE(record, line)
    return record


class Framer:
    """Incremental framing for live sources: push lines, get completed records.

    A record is complete when the next record starts, or when `flush()` is called (a live source
    calls it after a short idle period, so the last record does not wait for the next line).
    `line_no` counts pushed lines from `first_line` on.
    """

    __slots__ = (
        "_chars",
        "_extra",
        "_first_chars",
        "_in_block",
        "_open",
        "ctx",
        "fallback",
        "line_no",
        "parser",
    )

    def __init__(
        self,
        parser: Parser,
        ctx: ParseContext,
        fallback: Parser | None = None,
        first_line: int = 1,
    ) -> None:
        self.parser = parser
        self.ctx = ctx
        self.fallback = fallback
        self.line_no = first_line - 1
        # a line of another format costs no call to `parser` (nor does an empty line)
        self._first_chars = FirstChars([parser])
        # The open record: built when its first line comes, since most records get no
        # continuation line; `_extra` (None until a line folds in) is joined to its message
        # when it completes. `_chars` counts the folded characters; `_in_block` is True once a
        # traceback or goroutine dump is open in it (then any line folds in).
        self._open: LogRecord | None = None
        self._extra: list[str] | None = None
        self._chars = 0
        self._in_block = False

    @property
    def has_open_record(self) -> bool:
        """True while a record is waiting for possible continuation lines."""
        return self._open is not None

    def push(self, line: str) -> LogRecord | None:
        """Take the next line; return the record it completed, if any."""
        self.line_no += 1
        ctx = self.ctx
        able = line != "" and self._first_chars[line[:1]][0]
        try:  # `parse_line`, inlined: this runs for every line pushed
            parsed = self.parser.parse(line, ctx) if able else None
        except PARSE_ERRORS:
            parsed = None
        if parsed is None:
            if self._open is not None and self._may_fold(line):
                self._fold(line)
                return None
            if not line or line.isspace():  # `not line.strip()`, without the copy
                return None
            fallback = self.fallback
            parsed = parse_line(fallback, line, ctx) if fallback is not None else None
            if parsed is None or fallback is None:
                parsed = Parsed(None, None, None, line)
                fmt = "raw"
            else:
                fmt = parsed.format or fallback.name
        elif parsed.continuation and self._open is not None and self._has_room():
            self._fold(parsed.message)
            return None
        else:
            fmt = parsed.format or self.parser.name
        return self._start(_new_record(parsed, line, fmt, ctx.source, self.line_no))

    def _start(self, record: LogRecord) -> LogRecord | None:
        """Open `record`, the pushed line's; return the record it completes, if any."""
        done = self.flush() if self._open is not None else None
        self._open = record
        self._in_block = _opens_block(record.message)
        return done

    def _has_room(self) -> bool:
        extra = self._extra
        return extra is None or (len(extra) < MAX_FOLDED_LINES and self._chars <= MAX_FOLDED_CHARS)

    def _may_fold(self, line: str) -> bool:
        """Whether `line`, which the parser does not understand, folds into the open record."""
        if not self._has_room():
            return False
        return self._in_block or (bool(line) and _CONTINUATION.match(line) is not None)

    def _fold(self, text: str) -> None:
        if self._extra is None:
            self._extra = [text]
        else:
            self._extra.append(text)
        self._chars += len(text)
        if not self._in_block and _OPENS_BLOCK.match(text):
            self._in_block = True

    def flush(self) -> LogRecord | None:
        """Complete and return the open record, if any."""
        record, extra = self._open, self._extra
        if record is None:
            return None
        self._open = self._extra = None
        self._chars = 0
        if extra is not None:  # the record is still ours alone: complete its message in place
            _SET_MESSAGE(record, "\n".join([record.message, *extra]))
        return record


def frame_records(
    lines: Iterable[str],
    parser: Parser,
    ctx: ParseContext,
    fallback: Parser | None = None,
) -> Iterator[LogRecord]:
    """Yield records from decoded lines (no trailing newlines) in source order.

    `parser` is the file's format; `fallback` (usually `generic`) is tried on lines that neither
    start a record in that format nor continue one. Lines are numbered from 1.
    """
    framer = Framer(parser, ctx, fallback)
    for line in lines:
        record = framer.push(line)
        if record is not None:
            yield record
    last = framer.flush()
    if last is not None:
        yield last
