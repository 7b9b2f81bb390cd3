"""Parsing: per-line format choice — try specific parsers, then a permissive last resort.

Used for mixed files (the `generic` format) and for lines that do not fit a file's detected
format, so a line in another format keeps its level, time and logger instead of becoming raw.
"""

from __future__ import annotations

from collections.abc import Sequence

from loghealth.parsing.base import Parsed, Parser, parse_line
from loghealth.parsing.context import ParseContext

__all__ = ["LineChain"]


class LineChain:
    """Try `parsers` in order, then `last_resort`; the first that understands the line wins.

    The specific parser that matched last is tried first next time (runs of lines share a
    format), but `last_resort` is always tried last, so a permissive heuristic never shadows a
    specific format. The result's `format` names the parser that understood the line.
    """

    def __init__(self, name: str, parsers: Sequence[Parser], last_resort: Parser) -> None:
        self.name = name
        self._parsers = list(parsers)
        self._last_resort = last_resort

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line with the first parser that understands it; None if none does."""
        for index, parser in enumerate(self._parsers):
            parsed = parse_line(parser, line, ctx)
            if parsed is None:
                continue
            if index:
                self._parsers.insert(0, self._parsers.pop(index))
            if parsed.format is None:
                parsed.format = parser.name
            return parsed
        parsed = parse_line(self._last_resort, line, ctx)
        if parsed is not None and parsed.format is None:
            parsed.format = self._last_resort.name
        return parsed
