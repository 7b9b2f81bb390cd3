"""Parsing stage: detect a file's format, parse lines into `LogRecord`s, fold multi-line records."""

from loghealth.parsing.base import Parsed, Parser
from loghealth.parsing.context import ParseContext, resolve_timezone
from loghealth.parsing.detect import (
    PARSER_NAMES,
    Detection,
    clear_formats,
    create_parser,
    detect_format,
    format_names,
    register_formats,
)
from loghealth.parsing.framing import Framer, frame_records
from loghealth.parsing.text import parse_lines
from loghealth.parsing.user_formats import FormatError, FormatSpec, load_formats

__all__ = [
    "PARSER_NAMES",
    "Detection",
    "FormatError",
    "FormatSpec",
    "Framer",
    "ParseContext",
    "Parsed",
    "Parser",
    "clear_formats",
    "create_parser",
    "detect_format",
    "format_names",
    "frame_records",
    "load_formats",
    "parse_lines",
    "register_formats",
    "resolve_timezone",
]
