"""Parsing: what a parser needs to know besides the line (time zone, reference time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz as dateutil_tz

__all__ = ["ParseContext", "resolve_timezone"]


@dataclass(frozen=True, slots=True)
class ParseContext:
    """Settings shared by every parser.

    `tz` is the zone of timestamps written without an offset (the `--timezone` option).
    `now` (aware UTC) lets formats without a year (RFC 3164 syslog) pick the latest year that does
    not put the record more than a day in the future.
    `source` is the source's display name (a path, or `-` for stdin).
    `fields` False says the caller only matches the records (a scan): a parser may then leave
    out of `Parsed.fields` what is costly to build and nothing else reads (Smarty's context).
    """

    tz: tzinfo
    now: datetime
    source: str = ""
    fields: bool = True

    @classmethod
    def default(cls, now: datetime | None = None, source: str = "") -> ParseContext:
        """A context in UTC, for tests and for records read with `--timezone UTC`."""
        return cls(tz=UTC, now=now or datetime(2100, 1, 1, tzinfo=UTC), source=source)


def resolve_timezone(name: str | None) -> tzinfo:
    """Turn a `--timezone` value into a tzinfo.

    `None`, `""` or `local` give the machine's local zone (with its DST rules); `UTC`/`Z` give UTC;
    anything else is an IANA name (`Europe/Berlin`).

    Raises:
        ValueError: for an unknown zone name.
    """
    if name is None or name.strip().lower() in ("", "local"):
        local: tzinfo = dateutil_tz.tzlocal()
        return local
    if name.strip().upper() in ("UTC", "Z", "GMT"):
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin, or UTC, or local"
        ) from None
