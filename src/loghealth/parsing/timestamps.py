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


def _to_utc(value: datetime, tz: tzinfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def from_iso(text: str, tz: tzinfo) -> datetime | None:
    """Parse an ISO 8601 / RFC 3339 timestamp (see `ISO_PATTERN`); naive ones are read in `tz`."""
    text = text.strip()
    if text.endswith((" UTC", " GMT")):
        text = text[:-4] + "+00:00"
    elif text.endswith(("UTC", "GMT")):
        text = text[:-3] + "+00:00"
    # fromisoformat takes at most 6 fraction digits on 3.11; trim nanoseconds.
    text = _FRACTION.sub(lambda m: "." + m.group(2)[:6], text, count=1)
    try:
        return _to_utc(datetime.fromisoformat(text), tz)
    except ValueError:
        return None


def from_parts(
    year: int,
    month: int,
    day: int,
    hms: str,
    tz: tzinfo,
    fraction: str = "",
) -> datetime | None:
    """Build a time from numeric parts and `HH:MM:SS`; `fraction` is the digits after the second."""
    try:
        hour, minute, second = (int(part) for part in hms.split(":"))
        micro = int((fraction + "000000")[:6]) if fraction else 0
        return _to_utc(datetime(year, month, day, hour, minute, second, micro), tz)  # noqa: DTZ001
    except (ValueError, TypeError):
        return None


def from_syslog(month_name: str, day: str, hms: str, ctx: ParseContext) -> datetime | None:
    """Parse RFC 3164's `Mmm dd hh:mm:ss` (no year): the latest year not > 1 day after `ctx.now`."""
    month = MONTHS.get(month_name[:3].lower())
    if month is None:
        return None
    return from_yearless(month, int(day), hms, ctx)


def from_yearless(
    month: int, day: int, hms: str, ctx: ParseContext, fraction: str = ""
) -> datetime | None:
    """Build a time printed without a year (syslog, logcat, glog, Redis 2.x).

    The year is the latest that does not put the time more than a day after `ctx.now`.
    """
    local_now = ctx.now.astimezone(ctx.tz)
    for year in (local_now.year, local_now.year - 1):
        value = from_parts(year, month, day, hms, ctx.tz, fraction)
        if value is not None and value <= ctx.now + timedelta(days=1):
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
