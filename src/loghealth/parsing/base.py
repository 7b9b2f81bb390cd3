"""Parsing: the parser contract. A parser turns the first line of a record into its parts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from loghealth.model import Level
from loghealth.parsing.context import ParseContext

__all__ = ["PARSE_ERRORS", "FirstChars", "Parsed", "Parser", "parse_line"]

_FIRST_CHARS_MAX = 4096
"""First characters a `FirstChars` table keeps answers for at most."""
PARSE_ERRORS = (ValueError, OverflowError, RecursionError, MemoryError)
"""What `parse_line` turns into None (hot loops inline its `try` with this tuple)."""


@dataclass(slots=True)
class Parsed:
    """The parts of a record's first line; the framer adds continuation lines and position.

    `format` names the parser that understood the line when it differs from the parser asked (a
    per-line chain, or the line inside a Docker json-file entry); None means the parser asked.
    `continuation` marks a line that carries only text to fold into the open record (the inner
    line of a container log entry that is a traceback line): the framer appends `message` to the
    open record, or starts a record from it when none is open.
    """

    timestamp: datetime | None
    level: Level | None
    logger: str | None
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    format: str | None = None
    continuation: bool = False


class Parser(Protocol):
    r"""Recognises the first line of a record in one format.

    `parse` returns None when the line does not start a record in this format (it may be a
    continuation line, or another format); it must never raise on any input string.

    A parser class may also declare `first_char: str | None`, the source of a regular expression
    character class (`r"[{\s]"` for JSON lines): `parse` returns None for every line whose first
    character (`line[:1]`, so "" for an empty line) the class does not match, and `LineChain`
    and `Framer` skip the parser for such lines. It is optional (read with `getattr`; None or
    absent: no promise), so it is not a member of this protocol.
    """

    name: str

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line (no trailing newline) or return None."""
        ...


def parse_line(parser: Parser, line: str, ctx: ParseContext) -> Parsed | None:
    """`parser.parse(line, ctx)`, None where it would raise instead of keeping its promise.

    A safety net for absurd input a parser does not foresee — `int()` of a 5,000-digit pid
    raises ValueError on CPython 3.11+ — so that such a line is another parser's or raw, never
    the end of a scan.
    """
    try:
        return parser.parse(line, ctx)
    except PARSE_ERRORS:
        return None


class FirstChars(dict[str, tuple[bool, ...]]):
    """Which of some parsers may understand a line, by its first character (`first_char`).

    `table[line[:1]]` holds one bool per parser, in their order: False where the parser's class
    does not match that character, so asking it would return None. `LineChain` and `Framer` skip
    those parsers. Answers are kept per character (a dict lookup on the hot path), for at most
    `_FIRST_CHARS_MAX` characters: any character may start a line.
    """

    def __init__(self, parsers: Sequence[Parser]) -> None:
        super().__init__()
        self._classes = [_first_char_class(parser) for parser in parsers]

    def __missing__(self, first: str) -> tuple[bool, ...]:
        if len(self) >= _FIRST_CHARS_MAX:
            self.clear()
        able = self[first] = tuple(
            pattern is None or pattern.fullmatch(first) is not None for pattern in self._classes
        )
        return able


def _first_char_class(parser: Parser) -> re.Pattern[str] | None:
    source = getattr(parser, "first_char", None)
    return re.compile(source) if isinstance(source, str) else None
