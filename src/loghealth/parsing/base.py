"""Parsing: the parser contract. A parser turns the first line of a record into its parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from loghealth.model import Level
from loghealth.parsing.context import ParseContext

__all__ = ["Parsed", "Parser"]


@dataclass(slots=True)
class Parsed:
    """The parts of a record's first line; the framer adds continuation lines and position."""

    timestamp: datetime | None
    level: Level | None
    logger: str | None
    message: str
    fields: dict[str, Any] = field(default_factory=dict)


class Parser(Protocol):
    """Recognises the first line of a record in one format.

    `parse` returns None when the line does not start a record in this format (it may be a
    continuation line, or another format); it must never raise on any input string.
    """

    name: str

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line (no trailing newline) or return None."""
        ...
