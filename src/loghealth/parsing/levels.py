"""Parsing: map the level words, letters and numbers that real software prints onto `Level`."""

from __future__ import annotations

import math

from loghealth.model import Level

__all__ = [
    "LEVEL_WORDS_PATTERN",
    "level_from_number",
    "level_from_syslog_severity",
    "level_from_word",
]

_WORDS: dict[str, Level] = {
    "TRACE": Level.DEBUG,
    "DEBUG": Level.DEBUG,
    "DBG": Level.DEBUG,
    "DBUG": Level.DEBUG,
    "FINE": Level.DEBUG,
    "FINER": Level.DEBUG,
    "FINEST": Level.DEBUG,
    "VERBOSE": Level.DEBUG,
    "INFO": Level.INFO,
    "INFORMATION": Level.INFO,
    "NOTICE": Level.INFO,
    "CONFIG": Level.INFO,
    "WARN": Level.WARNING,
    "WARNING": Level.WARNING,
    "ERROR": Level.ERROR,
    "ERR": Level.ERROR,
    "EROR": Level.ERROR,
    "SEVERE": Level.ERROR,
    "CRITICAL": Level.CRITICAL,
    "CRIT": Level.CRITICAL,
    "FATAL": Level.CRITICAL,
    "ALERT": Level.CRITICAL,
    "EMERG": Level.CRITICAL,
    "EMERGENCY": Level.CRITICAL,
    "PANIC": Level.CRITICAL,
}

LEVEL_WORDS_PATTERN = "|".join(sorted(_WORDS, key=len, reverse=True))
"""Alternation of every level word, longest first (use with re.IGNORECASE and word bounds)."""


def level_from_word(word: str | None) -> Level | None:
    """Map a level word (`warn`, `ERROR`, `fatal`, `E`…) to a Level; None if unknown."""
    if not word:
        return None
    upper = word.strip().upper()
    if len(upper) == 1:
        return {
            "D": Level.DEBUG,
            "V": Level.DEBUG,
            "I": Level.INFO,
            "W": Level.WARNING,
            "E": Level.ERROR,
            "F": Level.CRITICAL,
            "C": Level.CRITICAL,
        }.get(upper)
    return _WORDS.get(upper)


def level_from_syslog_severity(severity: int) -> Level:
    """Map a syslog severity 0-7 (RFC 5424 §6.2.1) to a Level."""
    if severity <= 2:
        return Level.CRITICAL
    if severity == 3:
        return Level.ERROR
    if severity == 4:
        return Level.WARNING
    if severity <= 6:
        return Level.INFO
    return Level.DEBUG


def level_from_number(value: float, *, scheme: str = "python") -> Level | None:
    """Map a numeric level to a Level; None if out of range.

    `scheme="python"`: CPython `logging` numbers (10 DEBUG … 50 CRITICAL).
    `scheme="pino"`: pino/bunyan numbers (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal).
    A value that is not finite (JSON `1e999`, `NaN`) has no level.
    """
    if not math.isfinite(value):
        return None
    number = int(value)
    if scheme == "pino":
        number -= 10
    if number >= 50:
        return Level.CRITICAL
    if number >= 40:
        return Level.ERROR
    if number >= 30:
        return Level.WARNING
    if number >= 20:
        return Level.INFO
    if number >= 0 and (number > 0 or scheme == "pino"):
        return Level.DEBUG
    return None
