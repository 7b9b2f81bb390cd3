"""Parsing: one-letter-level layouts — Android logcat and Google glog (C++, Go, Kubernetes klog).

Sources: Android `logcat -v threadtime` (`MM-DD HH:MM:SS.mmm PID TID L TAG: msg`, newer versions
add a UID column), `-v time` (`MM-DD HH:MM:SS.mmm L/TAG(PID): msg`) and `-v brief`; glog
`Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg` (levels I W E F; newer glog prints `Lyyyymmdd`).
Neither prints a year: the latest year not more than a day after `now` is used.
"""

from __future__ import annotations

import re

from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.levels import level_from_word
from loghealth.parsing.timestamps import from_parts, from_yearless

__all__ = ["GlogParser", "LogcatParser"]

_TIME = r"(?P<month>\d{2})-(?P<day>\d{2}) (?P<hms>\d{2}:\d{2}:\d{2})\.(?P<frac>\d{3,6})"
_THREADTIME = re.compile(
    rf"{_TIME}\s+(?:(?P<uid>[\w]+)\s+)??(?P<pid>\d+)\s+(?P<tid>\d+)\s+(?P<level>[VDIWEFA])\s"
    r"(?P<tag>[^:]*?)\s*: (?P<msg>.*)$"
)
_TIME_LAYOUT = re.compile(
    rf"(?:{_TIME}\s+)?(?P<level>[VDIWEFA])/(?P<tag>[^(]*?)\(\s*(?P<pid>\d+)\): (?P<msg>.*)$"
)


class LogcatParser:
    """Parser for Android logcat (`threadtime`, `time` and `brief`); the tag is the logger."""

    name = "logcat"
    # first_char: a `\d` month, or `_TIME_LAYOUT`'s level letter when it has no time
    first_char = r"[\dADEFIVW]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not a logcat line."""
        found = _THREADTIME.match(line) or _TIME_LAYOUT.match(line)
        if found is None:
            return None
        groups = found.groupdict()
        fields: dict[str, object] = {"pid": int(groups["pid"])}
        if groups.get("tid"):
            fields["tid"] = int(groups["tid"])
        if groups.get("uid"):
            fields["uid"] = groups["uid"]
        timestamp = None
        if groups.get("month"):
            timestamp = from_yearless(
                int(groups["month"]), int(groups["day"]), groups["hms"], ctx, groups["frac"]
            )
        return Parsed(
            timestamp=timestamp,
            level=level_from_word(groups["level"]),
            logger=groups["tag"].strip() or None,
            message=groups["msg"],
            fields=fields,
        )


_GLOG = re.compile(
    r"(?P<level>[IWEF])(?P<year>\d{4})?(?P<month>\d{2})(?P<day>\d{2}) "
    r"(?P<hms>\d{2}:\d{2}:\d{2})\.(?P<frac>\d{6})\s+(?P<thread>\d+) "
    r"(?P<file>[^:\s]+):(?P<lineno>\d+)\] (?P<msg>.*)$"
)


class GlogParser:
    """Parser for glog/klog lines; `fields` holds thread, file and lineno; file is the logger."""

    name = "glog"
    # first_char: `_GLOG` opens with its level letter
    first_char = r"[EFIW]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not a glog line."""
        found = _GLOG.match(line)
        if found is None:
            return None
        month, day = int(found["month"]), int(found["day"])
        if found["year"]:
            timestamp = from_parts(
                int(found["year"]), month, day, found["hms"], ctx.tz, found["frac"]
            )
        else:
            timestamp = from_yearless(month, day, found["hms"], ctx, found["frac"])
        return Parsed(
            timestamp=timestamp,
            level=level_from_word(found["level"]),
            logger=found["file"],
            message=found["msg"],
            fields={
                "thread": int(found["thread"]),
                "file": found["file"],
                "lineno": int(found["lineno"]),
            },
        )
