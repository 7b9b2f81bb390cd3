"""Parsing: parse an in-memory list of lines (rule examples, pasted samples, API uploads)."""

from __future__ import annotations

from collections.abc import Sequence

from loghealth.model import LogRecord
from loghealth.parsing.context import ParseContext
from loghealth.parsing.detect import create_parser, detect_format
from loghealth.parsing.framing import frame_records

__all__ = ["parse_lines"]


def parse_lines(
    lines: Sequence[str], ctx: ParseContext, log_format: str | None = None
) -> list[LogRecord]:
    """Detect the format of `lines` (unless `log_format` is given) and return their records.

    Raises:
        ValueError: `log_format` is not a known format.
    """
    name = log_format or detect_format(lines, ctx).format
    fallback = create_parser("generic") if name != "generic" else None
    return list(frame_records(lines, create_parser(name), ctx, fallback))
