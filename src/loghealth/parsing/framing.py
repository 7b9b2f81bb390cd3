"""Parsing: group lines into records — fold tracebacks and stack traces into the record above.

A line that starts a record in the file's format starts a new record. A line that looks like a
continuation (indented, `Traceback …`, `Caused by:`, `... 12 more`, an exception class line), or any
line while a traceback is open, is folded into the current record's message. Any other line is
tried with the fallback parser, and failing that becomes a raw record (counted as unparsed) — a
line is never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from loghealth.model import LogRecord
from loghealth.parsing.base import Parsed, Parser
from loghealth.parsing.context import ParseContext

__all__ = ["MAX_FOLDED_CHARS", "MAX_FOLDED_LINES", "frame_records"]

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


@dataclass(slots=True)
class _Open:
    parsed: Parsed
    fmt: str
    line_no: int
    raw: str
    extra: list[str] = field(default_factory=list)
    chars: int = 0
    in_block: bool = False


def _record(current: _Open, source: str) -> LogRecord:
    message = current.parsed.message
    if current.extra:
        message = "\n".join([message, *current.extra])
    return LogRecord(
        timestamp=current.parsed.timestamp,
        level=current.parsed.level,
        logger=current.parsed.logger,
        message=message,
        fields=current.parsed.fields,
        raw=current.raw,
        format=current.fmt,
        source=source,
        line=current.line_no,
    )


def _may_fold(current: _Open | None, line: str) -> bool:
    if (
        current is None
        or len(current.extra) >= MAX_FOLDED_LINES
        or current.chars > MAX_FOLDED_CHARS
    ):
        return False
    if current.in_block:
        return True
    return bool(line) and _CONTINUATION.match(line) is not None


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
    current: _Open | None = None
    for line_no, line in enumerate(lines, start=1):
        parsed = parser.parse(line, ctx) if line else None
        fmt = parser.name
        if parsed is None:
            if _may_fold(current, line):
                assert current is not None  # noqa: S101 - narrowed by _may_fold
                current.extra.append(line)
                current.chars += len(line)
                if not current.in_block and _OPENS_BLOCK.match(line):
                    current.in_block = True
                continue
            if not line.strip():
                continue
            parsed = fallback.parse(line, ctx) if fallback is not None else None
            fmt = fallback.name if parsed is not None and fallback is not None else "raw"
            if parsed is None:
                parsed = Parsed(timestamp=None, level=None, logger=None, message=line)
        if current is not None:
            yield _record(current, ctx.source)
        current = _Open(
            parsed, fmt, line_no, line, in_block=_OPENS_BLOCK.search(parsed.message) is not None
        )
    if current is not None:
        yield _record(current, ctx.source)
