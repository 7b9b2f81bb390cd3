"""Parsing: JVM logs — log4j / logback / Spring Boot layouts and the Hadoop family's variants.

Layouts (log4j `PatternLayout` / logback `%d %p [%t] %c - %m`, their default and common forms):
`%d %p [%t] %c: %m` (Hadoop, YARN), `%d [%t] %p %c - %m` (logback), `%d %p %c - %m`, Spring Boot's
`%d %p PID --- [%t] %c : %m`, ZooKeeper's `%d - %p [%t:%C{1}@%L] - %m`, Spark's
`yy/MM/dd HH:mm:ss %p %c: %m`, HDFS's `yyMMdd HHmmss PID %p %c: %m` and logback's default
`HH:mm:ss.SSS [%t] %p %c - %m` (no date: the record gets no timestamp). Stack traces (`at …`,
`Caused by:`, `... N more`) are folded in by the framer.
"""

from __future__ import annotations

import re
from datetime import datetime

from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.levels import level_from_word
from loghealth.parsing.timestamps import ISO_PATTERN, from_iso, from_parts

__all__ = ["Log4jParser"]

_LEVEL = r"(?P<level>TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|SEVERE|FINEST|FINER|FINE|CONFIG)"
_TS = rf"(?P<ts>{ISO_PATTERN})"
_CLASS = r"(?P<logger>[A-Za-z_$][\w$]*(?:\.[\w$]+)*)"
# a thread name may hold spaces and one level of brackets: [QuorumPeer[myid=1]/0:2181]
_THREAD = r"(?P<thread>[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)*)"
_HMS = r"(?P<hms>\d{2}:\d{2}:\d{2})"

_LAYOUTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        # 2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: msg
        ("level_thread", rf"{_TS}\s+{_LEVEL}\s+\[{_THREAD}\]\s+{_CLASS}(?::|\s+-)\s(?P<msg>.*)"),
        # 2024-05-01 10:00:00.123 [main] INFO  com.example.App - msg   (logback)
        ("thread_level", rf"{_TS}\s+\[{_THREAD}\]\s+{_LEVEL}\s+{_CLASS}\s*(?::|-)\s(?P<msg>.*)"),
        # 2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:2181:FastLeaderElection@774] - msg
        (
            "zookeeper",
            rf"{_TS}\s+(?:\[myid:\d*\]\s+)?-\s+{_LEVEL}\s+\[{_THREAD}:{_CLASS}@(?P<lineno>\d+)\]"
            r"\s+-\s(?P<msg>.*)",
        ),
        # 2024-05-01 10:00:00.123  INFO 4711 --- [           main] o.s.b.SpringApplication : msg
        (
            "spring_boot",
            rf"{_TS}\s+{_LEVEL}\s+(?P<pid>\d+)\s+---\s+(?:\[[^\]]*\]\s+)?\[\s*{_THREAD}\]\s+"
            rf"{_CLASS}\s*:\s(?P<msg>.*)",
        ),
        # 2024-05-01 10:00:00,123 ERROR com.example.App - msg   (also `%c (%F:%M(%L)) - %m`)
        (
            "level_class",
            rf"{_TS}\s+{_LEVEL}\s+{_CLASS}(?:\s+\((?P<location>[^()\s]*(?:\(\d+\))?)\))?"
            r"(?::|\s+-)\s(?P<msg>.*)",
        ),
        # 17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: msg   (Spark)
        (
            "spark",
            rf"(?P<year>\d{{2}})/(?P<month>\d{{2}})/(?P<day>\d{{2}}) {_HMS}\s+{_LEVEL}\s+"
            rf"{_CLASS}:\s(?P<msg>.*)",
        ),
        # 081109 203615 148 INFO dfs.DataNode$PacketResponder: msg   (HDFS)
        (
            "hdfs",
            r"(?P<year>\d{2})(?P<month>\d{2})(?P<day>\d{2}) (?P<chms>\d{6}) (?P<pid>\d+) "
            rf"{_LEVEL}\s+{_CLASS}:\s(?P<msg>.*)",
        ),
        # 10:00:00.123 [main] INFO  com.example.App - msg   (logback default, no date)
        (
            "time_only",
            rf"(?P<time>\d{{2}}:\d{{2}}:\d{{2}}\.\d{{3}})\s+\[{_THREAD}\]\s+{_LEVEL}\s+"
            rf"{_CLASS}\s+-\s(?P<msg>.*)",
        ),
    )
)


def _timestamp(groups: dict[str, str], ctx: ParseContext) -> datetime | None:
    if groups.get("ts"):
        return from_iso(groups["ts"], ctx.tz)
    if groups.get("year"):
        hms = groups.get("hms")
        if hms is None:
            compact = groups["chms"]
            hms = f"{compact[0:2]}:{compact[2:4]}:{compact[4:6]}"
        return from_parts(
            2000 + int(groups["year"]), int(groups["month"]), int(groups["day"]), hms, ctx.tz
        )
    return None


class Log4jParser:
    """Parser for JVM logging layouts; `fields` holds layout, thread, pid and lineno when present.

    Remembers the layout that matched last and tries it first (one regex per line in a file).
    """

    name = "log4j"
    # first_char: every `_LAYOUTS` layout opens with a `\d` date or time
    first_char = r"\d"

    def __init__(self) -> None:
        self._order = list(_LAYOUTS)

    @property
    def layout(self) -> str:
        """The label of the layout tried first (the one that matched last)."""
        return self._order[0][0]

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if no JVM layout fits."""
        if not line or not line[0].isdigit():
            return None
        for index, (label, pattern) in enumerate(self._order):
            found = pattern.match(line)
            if found is None:
                continue
            if index:
                self._order.insert(0, self._order.pop(index))
            groups = found.groupdict()
            fields: dict[str, object] = {"layout": label}
            if groups.get("thread") is not None:
                fields["thread"] = groups["thread"].strip()
            for key in ("pid", "lineno"):
                if groups.get(key):
                    fields[key] = int(groups[key])
            for key in ("time", "location"):
                if groups.get(key):
                    fields[key] = groups[key]
            return Parsed(
                timestamp=_timestamp(groups, ctx),
                level=level_from_word(groups["level"]),
                logger=groups["logger"],
                message=groups["msg"],
                fields=fields,
            )
        return None
