"""Parsing: per-line format choice — try specific parsers, then a permissive last resort.

Used for mixed files (the `generic` format) and for lines that do not fit a file's detected
format, so a line in another format keeps its level, time and logger instead of becoming raw.
"""

from __future__ import annotations

from collections.abc import Sequence

from loghealth.parsing.base import PARSE_ERRORS, FirstChars, Parsed, Parser, parse_line
from loghealth.parsing.context import ParseContext

__all__ = ["LineChain"]


class LineChain:
    """Try `parsers` in order, then `last_resort`; the first that understands the line wins.

    The specific parser that matched last is tried first next time (runs of lines share a
    format), but `last_resort` is always tried last, so a permissive heuristic never shadows a
    specific format. The result's `format` names the parser that understood the line.

    A parser whose class declares `first_char` (a regex character class, see `Parser`) is not
    asked about a line whose first character (`line[:1]`, "" for an empty line) that class does
    not match: it would return None. So the winner, its result and the order are what asking
    every parser would give; a parser without `first_char` is always asked.
    """

    def __init__(self, name: str, parsers: Sequence[Parser], last_resort: Parser) -> None:
        self.name = name
        # (slot, parser) in the order the next line tries them; `slot` indexes `able` values
        self._order = list(enumerate(parsers))
        self._first_chars = FirstChars(parsers)
        self._last_resort = last_resort

    @property
    def parsers(self) -> tuple[Parser, ...]:
        """The specific parsers in the order the next line tries them (the last winner first)."""
        return tuple(parser for _, parser in self._order)

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line with the first parser that understands it; None if none does."""
        able = self._first_chars[line[:1]]
        order = self._order
        for index, (slot, parser) in enumerate(order):
            if not able[slot]:
                continue
            try:  # `parse_line`, inlined: this loop runs for every line of a mixed file
                parsed = parser.parse(line, ctx)
            except PARSE_ERRORS:
                continue
            if parsed is None:
                continue
            if index:
                order.insert(0, order.pop(index))
            if parsed.format is None:
                parsed.format = parser.name
            return parsed
        parsed = parse_line(self._last_resort, line, ctx)
        if parsed is not None and parsed.format is None:
            parsed.format = self._last_resort.name
        return parsed
