"""Parsing: one JSON object per line (structlog, python-json-logger, zap, zerolog, pino, bunyan…).

Keys are looked up under their usual spellings; what remains goes to `fields`. An exception or
stack text under `exc_info|exception|stack_trace|stacktrace|traceback|error.stack` is appended to
the message so signatures can match inside it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from loghealth.model import Level
from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.levels import level_from_number, level_from_word
from loghealth.parsing.timestamps import from_epoch, from_iso

__all__ = ["JsonLinesParser"]

_TIME_KEYS = ("time", "timestamp", "@timestamp", "ts", "asctime", "datetime", "date", "t")
_LEVEL_KEYS = ("level", "severity", "levelname", "lvl", "log.level", "loglevel", "levelno")
_LOGGER_KEYS = ("logger", "name", "logger_name", "log.logger", "component")
_MESSAGE_KEYS = ("msg", "message", "event", "log", "text")
_STACK_KEYS = ("exc_info", "exception", "stack_trace", "stacktrace", "traceback", "stack", "error")
_ANY_STACK_KEY = frozenset(_STACK_KEYS)


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        if key in data and data[key] not in (None, ""):
            return key, data[key]
    return None, None


def _timestamp(value: Any, ctx: ParseContext) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return from_epoch(value)
    if isinstance(value, str):
        return from_iso(value, ctx.tz) or (from_epoch(float(value)) if value.isdigit() else None)
    return None


def _level(key: str | None, value: Any, data: dict[str, Any]) -> Level | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        # pino/bunyan write numeric `level` (30 = info); CPython writes `levelno` (20 = info).
        return level_from_number(value, scheme="python" if key == "levelno" else "pino")
    if isinstance(value, dict):  # ECS-style {"level": {"name": "error"}}
        return level_from_word(str(value.get("name") or value.get("level") or ""))
    return level_from_word(str(value))


def _with_stacks(message: str, data: dict[str, Any], used: set[str | None]) -> str:
    """`message` with the stack texts under `_STACK_KEYS` not in `used` appended; adds them."""
    for key in _STACK_KEYS:
        stack = data.get(key)
        if isinstance(stack, dict):
            stack = stack.get("stack") or stack.get("message")
        if isinstance(stack, str) and stack and key not in used:
            message = f"{message}\n{stack}" if message else stack
            used.add(key)
    return message


class JsonLinesParser:
    """Parser for JSON-lines logs; a line that is not a JSON object returns None.

    `fields` holds the keys not read as time, level, logger, message or stack (none when
    `ctx.fields` is False).
    """

    name = "json_lines"
    # first_char: `parse` strips whitespace (`\s` is `str.isspace`), then needs `{`
    first_char = r"[{\s]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not a JSON object."""
        text = line.strip()
        if not text.startswith("{"):
            return None
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict):
            return None
        time_key, time_value = _first(data, _TIME_KEYS)
        level_key, level_value = _first(data, _LEVEL_KEYS)
        logger_key, logger_value = _first(data, _LOGGER_KEYS)
        message_key, message_value = _first(data, _MESSAGE_KEYS)
        # the keys read above (None for a part not found: no JSON key is None)
        used = {time_key, level_key, logger_key, message_key}
        message = (
            message_value
            if isinstance(message_value, str)
            else ("" if message_value is None else json.dumps(message_value, ensure_ascii=False))
        )
        if not _ANY_STACK_KEY.isdisjoint(data):  # most lines have none: spare 7 lookups
            message = _with_stacks(message, data, used)
        return Parsed(
            _timestamp(time_value, ctx),
            _level(level_key, level_value, data),
            str(logger_value) if logger_value is not None else None,
            message,
            # the other keys; a scan reads none (`ctx.fields` False): skip the copy
            {k: v for k, v in data.items() if k not in used} if ctx.fields else {},
        )
