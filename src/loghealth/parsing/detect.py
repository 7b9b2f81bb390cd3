"""Parsing: choose a file's format by scoring every parser on a sample of its lines.

Deterministic: the same sample always gives the same choice. Specific formats win ties against
`generic`, and formats are tried in the fixed order of `PARSER_NAMES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loghealth.parsing.base import Parser
from loghealth.parsing.context import ParseContext
from loghealth.parsing.generic import GenericParser
from loghealth.parsing.json_lines import JsonLinesParser
from loghealth.parsing.python_logging import PythonLoggingParser
from loghealth.parsing.smarty import SmartyParser
from loghealth.parsing.syslog import Rfc3164Parser, Rfc5424Parser

__all__ = ["PARSER_NAMES", "Detection", "create_parser", "detect_format"]

_FACTORIES: dict[str, type] = {
    "smarty": SmartyParser,
    "json_lines": JsonLinesParser,
    "syslog_rfc5424": Rfc5424Parser,
    "syslog_rfc3164": Rfc3164Parser,
    "python_logging": PythonLoggingParser,
    "generic": GenericParser,
}
PARSER_NAMES: tuple[str, ...] = tuple(_FACTORIES)
"""Every format name, in detection order (most specific first)."""

SAMPLE_LINES = 64
"""How many non-blank lines of a file detection looks at."""
_SPECIFIC_BONUS = 0.05
_MAX_SAMPLE_CHARS = 4096


@dataclass(frozen=True, slots=True)
class Detection:
    """The chosen format and every parser's score (fraction of sample lines it parsed, 0-1)."""

    format: str
    scores: dict[str, float]


def create_parser(name: str) -> Parser:
    """Return a fresh parser for a format name.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
    """
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(
            f"unknown format {name!r}; known formats: {', '.join(PARSER_NAMES)}"
        ) from None
    parser: Parser = factory()
    return parser


def detect_format(sample: Sequence[str], ctx: ParseContext) -> Detection:
    """Score each parser on up to `SAMPLE_LINES` non-blank lines of `sample` and pick the best.

    A file with no parseable line gets `generic` (its lines then become raw records).
    """
    lines = [line[:_MAX_SAMPLE_CHARS] for line in sample if line.strip()][:SAMPLE_LINES]
    scores: dict[str, float] = {}
    for name in PARSER_NAMES:
        parser = create_parser(name)
        parsed = sum(1 for line in lines if parser.parse(line, ctx) is not None)
        scores[name] = parsed / len(lines) if lines else 0.0
    best = "generic"
    best_value = scores.get("generic", 0.0)
    for name in PARSER_NAMES:
        if name == "generic" or scores[name] == 0:
            continue
        value = scores[name] + _SPECIFIC_BONUS
        if value > best_value:
            best, best_value = name, value
    return Detection(format=best, scores=scores)
