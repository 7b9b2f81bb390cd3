"""Parsing: logfmt — `key=value` pairs, values bare or double-quoted.

Written by Go's logrus, go-kit, slog TextHandler, Heroku, Grafana, Loki and Prometheus. Source:
brandur.org/logfmt and go-logfmt.

A line is logfmt when it is made only of pairs and has a level or message key; the usual keys
(`time|ts|t`, `level|lvl|severity`, `msg|message`, `logger|caller|component`) become the record's
parts, the rest go to `fields`.
"""

from __future__ import annotations

import re

from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.levels import level_from_word
from loghealth.parsing.timestamps import from_epoch, from_iso

__all__ = ["LogfmtParser", "parse_pairs"]

_PAIR = r"[\w.\-/@]+=(?:\"(?:[^\"\\]|\\.)*\"|[^\s\"]*)"
_LINE = re.compile(rf"\s*{_PAIR}(?:\s+{_PAIR})+\s*")
_PAIRS = re.compile(r"([\w.\-/@]+)=(?:\"((?:[^\"\\]|\\.)*)\"|([^\s\"]*))")
_ESCAPES = re.compile(r"\\(.)")
_TIME_KEYS = ("time", "ts", "t", "timestamp", "date")
_LEVEL_KEYS = ("level", "lvl", "severity", "loglevel")
_MESSAGE_KEYS = ("msg", "message", "event")
_LOGGER_KEYS = ("logger", "component", "module", "caller", "source")
_MAX_CHARS = 64 * 1024


def parse_pairs(text: str) -> dict[str, str]:
    """Every `key=value` pair of `text` (quoted values unescaped); later keys win. Never raises."""
    pairs: dict[str, str] = {}
    for key, quoted, bare in _PAIRS.findall(text[:_MAX_CHARS]):
        pairs[key] = _ESCAPES.sub(r"\1", quoted) if quoted else bare
    return pairs


def _pop(pairs: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if key in pairs:
            return pairs.pop(key)
    return None


class LogfmtParser:
    """Parser for logfmt lines; None for lines that are not only pairs or lack level and message."""

    name = "logfmt"
    # first_char: `_LINE`: optional `\s`, then a `[\w.\-/@]` key
    first_char = r"[\s\w./@-]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not logfmt."""
        if "=" not in line[:64] or len(line) > _MAX_CHARS or _LINE.fullmatch(line) is None:
            return None
        pairs = parse_pairs(line)
        if not any(key in pairs for key in _LEVEL_KEYS + _MESSAGE_KEYS):
            return None
        time_text = _pop(pairs, _TIME_KEYS)
        timestamp = None
        if time_text:
            timestamp = from_iso(time_text, ctx.tz)
            if timestamp is None and time_text.replace(".", "", 1).isdigit():
                timestamp = from_epoch(float(time_text))
        level_text = _pop(pairs, _LEVEL_KEYS)
        return Parsed(
            timestamp=timestamp,
            level=level_from_word(level_text),
            logger=_pop(pairs, _LOGGER_KEYS),
            message=_pop(pairs, _MESSAGE_KEYS) or line.strip(),
            fields=dict(pairs),
        )
