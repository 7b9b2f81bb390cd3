"""Parsing stage: detect a file's format, parse lines into `LogRecord`s, fold multi-line records."""

from loghealth.parsing.base import Parsed, Parser
from loghealth.parsing.context import ParseContext, resolve_timezone
from loghealth.parsing.detect import PARSER_NAMES, Detection, create_parser, detect_format
from loghealth.parsing.framing import Framer, frame_records
from loghealth.parsing.text import parse_lines

__all__ = [
    "PARSER_NAMES",
    "Detection",
    "Framer",
    "ParseContext",
    "Parsed",
    "Parser",
    "create_parser",
    "detect_format",
    "frame_records",
    "parse_lines",
    "resolve_timezone",
]
