"""Parsing: turn the timestamp spellings found in logs into aware UTC datetimes.

Every function returns None instead of raising when the text is not a valid time, so a bad
timestamp leaves a record without a time rather than losing the line.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo

from loghealth.parsing.context import ParseContext

__all__ = [
    "ISO_PATTERN",
    "MONTHS",
    "from_epoch",
    "from_iso",
    "from_parts",
    "from_syslog",
    "from_yearless",
]

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

ISO_PATTERN = (
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
    r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?"
)
"""ISO 8601 / RFC 3339 date-time as logs print it (space or T, comma or dot, optional zone)."""

_FRACTION = re.compile(r"([.,])(\d{1,9})")
# The fast path of `from_iso`: the date and time to the second, a fraction (1-9 digits) and a
# zone `from_iso` reads the same with or without a fraction (not ` +01:00`: fromisoformat takes
# `00:00:00 +01:00` but not `00:00:00.5 +01:00`).
_SPLIT = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2})(?:[.,]([0-9]{1,9}))?"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?| ?UTC| ?GMT|)"
)
_SECONDS_MAX = 4096
# (second, zone) -> (tz, the second in aware UTC or None): logs print many lines per second.
_SECONDS: dict[tuple[str, str], tuple[tzinfo, datetime | None]] = {}
# fractions of up to 3 digits (`,123`) -> their timedelta
_MILLIS: dict[str, timedelta] = {}
_DAY = timedelta(days=1)


def _to_utc(value: datetime, tz: tzinfo) -> datetime:
    if value.tzinfo is None:
        # `datetime(..., tz)` rather than `value.replace(tzinfo=tz)`: the same value (fold 0),
        # without `replace`'s keyword parsing (several times slower on CPython 3.11).
        value = datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tz,
        )
    return value.astimezone(UTC)


def _from_iso(text: str, tz: tzinfo) -> datetime | None:
    text = text.strip()
    if text.endswith((" UTC", " GMT")):
        text = text[:-4] + "+00:00"
    elif text.endswith(("UTC", "GMT")):
        text = text[:-3] + "+00:00"
    # fromisoformat takes at most 6 fraction digits on 3.11; trim nanoseconds.
    text = _FRACTION.sub(lambda m: "." + m.group(2)[:6], text, count=1)
    try:
        return _to_utc(datetime.fromisoformat(text), tz)
    except (ValueError, OverflowError):  # OverflowError: beyond year 1-9999 once in UTC
        return None


def from_iso(text: str, tz: tzinfo) -> datetime | None:
    """Parse an ISO 8601 / RFC 3339 timestamp (see `ISO_PATTERN`); naive ones are read in `tz`.

    Surrounding whitespace is ignored; ` UTC`/`GMT` suffixes mean +00:00; digits after the sixth
    fraction digit are dropped. None for anything `datetime.fromisoformat` rejects or a time
    outside years 1-9999 in UTC.
    """
    split = _SPLIT.fullmatch(text)
    if split is None:
        return _from_iso(text, tz)
    second, fraction, zone = split.groups()
    # The second's UTC time is cached: `tz` offsets change only on whole seconds, so the
    # fraction just adds microseconds (and cannot carry past year 9999: the second has none).
    cached = _SECONDS.get((second, zone))
    if cached is None or cached[0] is not tz:
        if len(_SECONDS) >= _SECONDS_MAX:
            _SECONDS.clear()
        cached = (tz, _from_iso(second + zone, tz))
        _SECONDS[(second, zone)] = cached
    value = cached[1]
    if value is None or not fraction:
        return value
    step = _MILLIS.get(fraction)
    if step is None:
        step = timedelta(0, 0, int((fraction + "00000")[:6]))
        if len(fraction) <= 3:  # at most 1,110 of them
            _MILLIS[fraction] = step
    return value + step


def from_parts(
    year: int,
    month: int,
    day: int,
    hms: str,
    tz: tzinfo,
    fraction: str = "",
) -> datetime | None:
    """Build a time from numeric parts and `HH:MM:SS`; `fraction` is the digits after the second.

    `hms` and the parts are read in `tz`. None for an invalid date or time, or one outside years
    1-9999 in UTC.
    """
    try:
        hour, minute, second = hms.split(":")
        micro = int((fraction + "000000")[:6]) if fraction else 0
        return datetime(
            year, month, day, int(hour), int(minute), int(second), micro, tz
        ).astimezone(UTC)
    except (ValueError, TypeError, OverflowError):
        return None


def from_syslog(month_name: str, day: str, hms: str, ctx: ParseContext) -> datetime | None:
    """Parse RFC 3164's `Mmm dd hh:mm:ss` (no year): the latest year not > 1 day after `ctx.now`."""
    month = MONTHS.get(month_name[:3].lower())
    if month is None:
        return None
    return from_yearless(month, int(day), hms, ctx)


# The last context's (now, tz, year of now in tz, now + 1 day): one item, replaced whole.
_NEVER = datetime.min.replace(tzinfo=UTC)
_YEARS: list[tuple[datetime, tzinfo, int, datetime]] = [(_NEVER, UTC, 1, _NEVER)]


def from_yearless(
    month: int, day: int, hms: str, ctx: ParseContext, fraction: str = ""
) -> datetime | None:
    """Build a time printed without a year (syslog, logcat, glog, Redis 2.x).

    The year is the latest that does not put the time more than a day after `ctx.now`.
    """
    now, tz = ctx.now, ctx.tz
    last_now, last_tz, year, limit = _YEARS[0]
    if last_now is not now or last_tz is not tz:
        year, limit = now.astimezone(tz).year, now + _DAY
        _YEARS[0] = (now, tz, year, limit)
    for candidate in (year, year - 1):
        value = from_parts(candidate, month, day, hms, tz, fraction)
        if value is not None and value <= limit:
            return value
    return None


def from_epoch(value: float) -> datetime | None:
    """Read epoch seconds, milliseconds, microseconds or nanoseconds (picked by magnitude)."""
    try:
        number = float(value)
        if not math.isfinite(number):  # `1e999`, or 400 digits: no time (and no endless loop)
            return None
        while abs(number) > 1e11:  # later than year 5138 in seconds: a finer unit
            number /= 1000.0
        return datetime.fromtimestamp(number, UTC)
    except (ValueError, OverflowError, OSError):
        return None
