"""Parsing: CPython `logging` output in the layouts people actually configure.

Covers `%(asctime)s %(levelname)s %(name)s: %(message)s`, `%(asctime)s - %(name)s - %(levelname)s -
%(message)s`, `[%(levelname)s]` variants, `logging.BASIC_FORMAT` (`LEVEL:name:message`), uvicorn's
`INFO:     message` and gunicorn's `[ts] [pid] [LEVEL] message`. Source: CPython `logging` docs,
"LogRecord attributes"; Bambuddy's `%(asctime)s %(levelname)s [%(name)s] [%(trace_id)s]
%(message)s` (backend/app/main.py); uvicorn and gunicorn default log configs.
"""

from __future__ import annotations

import re

from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.levels import level_from_word
from loghealth.parsing.timestamps import ISO_PATTERN, from_iso

__all__ = ["PythonLoggingParser"]

_LEVEL_WORDS = ("DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL", "TRACE", "NOTSET")
_LEVEL = rf"(?P<level>{'|'.join(_LEVEL_WORDS)})"
_TS = rf"(?P<ts>{ISO_PATTERN})"
_NAME = r"(?P<logger>[A-Za-z_][\w.\-]*)"

_VARIANTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        # %(asctime)s %(levelname)s %(name)s: %(message)s   (also with [name])
        ("default", rf"{_TS}\s+{_LEVEL}\s+\[?{_NAME}\]?:\s?(?P<msg>.*)"),
        # %(asctime)s %(levelname)s [%(name)s] [%(trace_id)s] %(message)s  (Bambuddy and others);
        # not `ts LEVEL [thread] java.Class: msg` (log4j), which is left to `generic`
        (
            "bracket_name",
            rf"{_TS}\s+{_LEVEL}\s+\[{_NAME}\](?:\s+\[(?P<trace_id>[^\]\s]*)\])?\s"
            r"(?![\w$]+(?:\.[\w$]+)+:\s)(?P<msg>.*)",
        ),
        # %(asctime)s - %(name)s - %(levelname)s - %(message)s
        ("dash", rf"{_TS}\s+-\s+{_NAME}\s+-\s+{_LEVEL}\s+-\s?(?P<msg>.*)"),
        # %(asctime)s - %(levelname)s - %(name)s - %(message)s
        ("dash_level_first", rf"{_TS}\s+-\s+{_LEVEL}\s+-\s+{_NAME}\s+-\s?(?P<msg>.*)"),
        # %(asctime)s [%(levelname)s] %(name)s: %(message)s   and [ts] [LEVEL] name: msg
        ("bracket", rf"\[?{_TS}\]?\s+\[{_LEVEL}\]\s+(?:{_NAME}:\s)?(?P<msg>.*)"),
        # %(asctime)s | %(levelname)s | %(name)s | %(message)s
        ("pipe", rf"{_TS}\s*\|\s*{_LEVEL}\s*\|\s*{_NAME}\s*\|\s?(?P<msg>.*)"),
        # [%(levelname)s] %(asctime)s %(name)s: %(message)s
        ("level_first", rf"\[{_LEVEL}\]\s+(?:{_TS}\s+)?(?:{_NAME}:\s)?(?P<msg>.*)"),
        # gunicorn: [2024-05-01 10:00:00 +0000] [1234] [INFO] Starting gunicorn 21.2.0
        ("gunicorn", rf"\[{_TS}\]\s+\[(?P<pid>\d+)\]\s+\[{_LEVEL}\]\s(?P<msg>.*)"),
        # logging.BASIC_FORMAT: LEVEL:name:message
        ("basic", rf"{_LEVEL}:{_NAME}:(?P<msg>.*)"),
        # uvicorn: INFO:     Application startup complete.
        ("uvicorn", rf"{_LEVEL}:\s+(?P<msg>.*)"),
    )
)

_DEFAULT_LOGGER = {"gunicorn": "gunicorn", "uvicorn": "uvicorn"}


def _unnamed(pattern: str) -> str:
    return "(?:" + re.sub(r"\(\?P<\w+>", "(?:", pattern) + ")"


def _any_layout() -> re.Pattern[str]:
    """Every layout at once, without group names: a line none of them matches costs one regex.

    The layouts that open with the timestamp share one timestamp match (`TS(?:a|b)` matches
    what `TS a|TS b` does): each of its backtracking paths is then tried once, not once a layout.
    """
    sources = [pattern.pattern for _, pattern in _VARIANTS]
    after_ts = [_unnamed(source[len(_TS) :]) for source in sources if source.startswith(_TS)]
    others = [_unnamed(source) for source in sources if not source.startswith(_TS)]
    return re.compile("|".join([_unnamed(_TS) + "(?:" + "|".join(after_ts) + ")", *others]))


_ANY = _any_layout()
# A layout starts with a timestamp (a decimal digit, for `\d`), `[` or a level word.
_FIRST_CHARS = frozenset("[DIWECFTN")
# `_LEVEL`'s words (exact case) -> their Level (None for NOTSET)
_LEVELS = {word: level_from_word(word) for word in _LEVEL_WORDS}


def _record(label: str, found: re.Match[str], ctx: ParseContext) -> Parsed:
    groups = found.groupdict()
    ts_text = groups.get("ts")
    fields: dict[str, object] = {"layout": label}
    pid = groups.get("pid")
    if pid:
        fields["pid"] = int(pid)
    trace_id = groups.get("trace_id")
    if trace_id:
        fields["trace_id"] = trace_id
    return Parsed(
        from_iso(ts_text, ctx.tz) if ts_text else None,
        _LEVELS[groups["level"]],
        groups.get("logger") or _DEFAULT_LOGGER.get(label),
        groups["msg"],
        fields,
    )


class PythonLoggingParser:
    """Parser for Python `logging` lines; tracebacks are folded in by the framer.

    Remembers the layout that matched last and tries it first, so a file costs one regex per line;
    a line that no layout matches (a traceback line, another format) costs one more.
    """

    name = "python_logging"
    # first_char: every `_VARIANTS` layout: `[`, a `\d` time or a level word
    first_char = r"[\[\dCDEFINTW]"

    def __init__(self) -> None:
        self._order = list(_VARIANTS)

    @property
    def layout(self) -> str:
        """The label of the layout tried first (the one that matched last)."""
        return self._order[0][0]

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if no known layout fits."""
        order = self._order
        label, pattern = order[0]
        found = pattern.match(line)
        if found is not None:
            return _record(label, found, ctx)
        first = line[:1]
        if not (first in _FIRST_CHARS or first.isdecimal()) or _ANY.match(line) is None:
            return None
        for index in range(1, len(order)):
            label, pattern = order[index]
            found = pattern.match(line)
            if found is not None:
                order.insert(0, order.pop(index))
                return _record(label, found, ctx)
        return None
