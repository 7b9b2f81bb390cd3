"""Parsing: choose a file's format by scoring every parser on a sample of its lines.

Deterministic: the same sample always gives the same choice. `generic` (every format, per line)
wins only when no single format covers most of the sample; ties between specific formats go to the
first in `PARSER_NAMES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from loghealth.parsing.base import Parser, parse_line
from loghealth.parsing.chain import LineChain
from loghealth.parsing.containers import DockerJsonParser, JournaldJsonParser
from loghealth.parsing.context import ParseContext
from loghealth.parsing.generic import GenericParser
from loghealth.parsing.json_lines import JsonLinesParser
from loghealth.parsing.jvm import Log4jParser
from loghealth.parsing.logfmt import LogfmtParser
from loghealth.parsing.native import GlogParser, LogcatParser
from loghealth.parsing.oslo import OsloParser
from loghealth.parsing.python_logging import PythonLoggingParser
from loghealth.parsing.servers import MysqlParser, PostgresParser, RedisParser
from loghealth.parsing.smarty import SmartyParser
from loghealth.parsing.syslog import Rfc3164Parser, Rfc5424Parser
from loghealth.parsing.user_formats import FormatSpec, UserFormatParser
from loghealth.parsing.web import AccessLogParser, ApacheErrorParser, NginxErrorParser
from loghealth.parsing.zeek import ZeekParser

__all__ = [
    "PARSER_NAMES",
    "Detection",
    "clear_formats",
    "create_parser",
    "detect_format",
    "format_names",
    "line_chain",
    "register_formats",
]


def _docker() -> Parser:
    return DockerJsonParser(inner=lambda: line_chain(containers=False))


_FACTORIES: dict[str, Callable[[], Parser]] = {
    "smarty": SmartyParser,
    "docker_json": _docker,
    "journald_json": JournaldJsonParser,
    "json_lines": JsonLinesParser,
    "syslog_rfc5424": Rfc5424Parser,
    "syslog_rfc3164": Rfc3164Parser,
    "clf": AccessLogParser,
    "apache_error": ApacheErrorParser,
    "nginx_error": NginxErrorParser,
    "python_logging": PythonLoggingParser,
    "oslo": OsloParser,
    "log4j": Log4jParser,
    "postgres": PostgresParser,
    "mysql": MysqlParser,
    "redis": RedisParser,
    "logcat": LogcatParser,
    "glog": GlogParser,
    "logfmt": LogfmtParser,
    "zeek": ZeekParser,
    "generic": lambda: line_chain(),
}
PARSER_NAMES: tuple[str, ...] = tuple(_FACTORIES)
"""Every format name, in detection order (most specific first)."""
_CONTAINERS = frozenset(("docker_json", "journald_json"))
_USER: dict[str, FormatSpec] = {}


def register_formats(specs: Iterable[FormatSpec]) -> None:
    """Make user-defined formats known to detection, `create_parser` and the per-line chain.

    They are tried before the built-in formats, in registration order. Registering a name again
    replaces that format. Called once at start-up (the CLI's `--formats`), before any parsing.

    Raises:
        ValueError: a user format reuses a built-in format name.
    """
    for spec in specs:
        if spec.name in _FACTORIES:
            raise ValueError(f"format {spec.name!r} is built in; give yours another name")
        _USER[spec.name] = spec


def clear_formats() -> None:
    """Forget every registered user format (tests)."""
    _USER.clear()


def format_names() -> tuple[str, ...]:
    """User formats, then `PARSER_NAMES`: every name `create_parser` accepts, in detection order."""
    return (*_USER, *PARSER_NAMES)


def line_chain(*, containers: bool = True) -> Parser:
    """The `generic` format: each line tries every specific format, then the heuristic.

    `containers=False` leaves out the container wrappers (for the line inside a Docker entry).
    """
    parsers = [
        create_parser(name)
        for name in format_names()
        if name != "generic" and (containers or name not in _CONTAINERS)
    ]
    return LineChain("generic", parsers, GenericParser())


SAMPLE_LINES = 64
"""How many non-blank lines of a file detection looks at."""
_SPECIFIC_BONUS = 0.05
_SPECIFIC_SHARE = 0.8
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
    if name in _USER:
        return UserFormatParser(_USER[name])
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(
            f"unknown format {name!r}; known formats: {', '.join(format_names())}"
        ) from None
    parser: Parser = factory()
    return parser


def detect_format(sample: Sequence[str], ctx: ParseContext) -> Detection:
    """Score each parser on up to `SAMPLE_LINES` non-blank lines of `sample` and pick the best.

    A file with no parseable line gets `generic` (its lines then become raw records).
    """
    lines = [line[:_MAX_SAMPLE_CHARS] for line in sample if line.strip()][:SAMPLE_LINES]
    scores: dict[str, float] = {}
    names = format_names()
    for name in names:
        parser = create_parser(name)
        parsed = sum(1 for line in lines if parse_line(parser, line, ctx) is not None)
        scores[name] = parsed / len(lines) if lines else 0.0
    # `generic` scores the union of every format, line by line. A specific format that covers
    # most of what `generic` covers wins: its misses still reach the per-line fallback.
    generic = scores.get("generic", 0.0)
    best, best_value = "generic", 0.0
    for name in names:
        if name != "generic" and scores[name] > best_value:
            best, best_value = name, scores[name]
    if best_value == 0 or best_value + _SPECIFIC_BONUS < _SPECIFIC_SHARE * generic:
        best = "generic"
    return Detection(format=best, scores=scores)
