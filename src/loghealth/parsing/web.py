"""Parsing: web server logs — access logs (Common/Combined), nginx and Apache httpd error logs.

Sources: Apache httpd `mod_log_config` (`%h %l %u %t "%r" %>s %b`, "combined" adds
`"%{Referer}i" "%{User-agent}i"`, `vhost_combined` prefixes `%v:%p`), nginx `log_format combined`,
nginx `ngx_log_error` (`yyyy/mm/dd hh:mm:ss [level] pid#tid: *cid message`), Apache httpd
`ErrorLogFormat` (2.2: `[date] [level] message`; 2.4: `[date] [module:level] [pid N:tid N]`) and
CUPS `error_log` (`L [dd/Mon/yyyy:hh:mm:ss +zzzz] message`).
"""

from __future__ import annotations

import re
from datetime import datetime

from loghealth.model import Level
from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.levels import level_from_word
from loghealth.parsing.timestamps import MONTHS, from_iso, from_parts

__all__ = ["AccessLogParser", "ApacheErrorParser", "NginxErrorParser", "level_from_status"]

_QUOTED = r'"(?:[^"\\]|\\.)*"'
_ACCESS = re.compile(
    r"(?:(?P<vhost>[\w.-]+:\d+) )?(?P<client>[^\s\[]+) (?P<ident>\S+) (?P<user>\S+|\"[^\"]*\") "
    r"\[(?P<time>[^\]]{10,40})\] (?P<msg>\"(?P<request>(?:[^\"\\]|\\.)*)\" (?P<status>\d{3}|-) "
    rf"(?P<bytes>\d+|-)(?: (?P<referer>{_QUOTED}) (?P<agent>{_QUOTED}))?.*)$"
)
_CLF_TIME = re.compile(
    r"(?P<day>\d{1,2})/(?P<mon>[A-Za-z]{3})/(?P<year>\d{4})[: ](?P<hms>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<frac>\d{1,9}))?(?: (?P<off>[+-]\d{4}))?$"
)


def clf_time(text: str, ctx: ParseContext) -> datetime | None:
    """Read `10/Oct/2000:13:55:36 -0700` (also with a space before the time or no offset)."""
    found = _CLF_TIME.match(text.strip())
    if found is None:
        return None
    month = MONTHS.get(found["mon"].lower(), 0)
    if found["off"]:
        off = found["off"]
        frac = f".{found['frac']}" if found["frac"] else ""
        return from_iso(
            f"{found['year']}-{month:02d}-{int(found['day']):02d}T{found['hms']}{frac}"
            f"{off[:3]}:{off[3:]}",
            ctx.tz,
        )
    return from_parts(
        int(found["year"]), month, int(found["day"]), found["hms"], ctx.tz, found["frac"] or ""
    )


def level_from_status(status: str | None) -> Level | None:
    """HTTP status to a level: 5xx ERROR, 4xx WARNING, others INFO; None if not a status."""
    if not status or not status.isdigit():
        return None
    code = int(status)
    if code >= 500:
        return Level.ERROR
    if code >= 400:
        return Level.WARNING
    return Level.INFO


class AccessLogParser:
    """Parser for Common/Combined access logs (Apache, nginx, and servers that copy them).

    `message` is the part from the quoted request on (`"GET / HTTP/1.1" 502 157 "-" "agent"`), so
    patterns written against access lines still match; client, user, request, status, bytes,
    referer, agent and vhost go to `fields`. The level comes from the status (`level_from_status`).
    """

    name = "clf"
    # first_char: `_ACCESS`: an optional `[\w.-]` vhost, then a `[^\s\[]` client
    first_char = r"[^\s\[]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not an access-log line."""
        if '] "' not in line:  # `_ACCESS` needs it (`[time] "request"`); a cheap first test
            return None
        found = _ACCESS.match(line)
        if found is None:
            return None
        fields: dict[str, object] = {"client": found["client"], "request": found["request"]}
        for key in ("ident", "user"):
            if found[key] not in ("-", '"-"'):
                fields[key] = found[key]
        if found["status"].isdigit():
            fields["status"] = int(found["status"])
        if found["bytes"].isdigit():
            fields["bytes"] = int(found["bytes"])
        for key in ("referer", "agent"):
            if found[key] is not None:
                fields[key] = found[key][1:-1]
        if found["vhost"]:
            fields["vhost"] = found["vhost"]
        return Parsed(
            timestamp=clf_time(found["time"], ctx),
            level=level_from_status(found["status"]),
            logger=None,
            message=found["msg"],
            fields=fields,
        )


_NGINX = re.compile(
    r"(?P<date>\d{4}/\d{2}/\d{2}) (?P<hms>\d{2}:\d{2}:\d{2}) \[(?P<level>[a-z]+)\] "
    r"(?P<pid>\d+)#(?P<tid>\d+): (?:\*(?P<cid>\d+) )?(?P<msg>.*)$"
)
_NGINX_CONTEXT = re.compile(r", (client|server|request|upstream|host|referrer): (\"[^\"]*\"|[^,]*)")


class NginxErrorParser:
    """Parser for nginx's error log.

    `fields` holds pid, tid, connection and the `, key: value` context nginx appends (client,
    server, request, upstream, host, referrer; not when `ctx.fields` is False); the message
    keeps that context.
    """

    name = "nginx_error"
    # first_char: `_NGINX` opens with the date's `\d{4}`
    first_char = r"\d"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not an nginx error-log line."""
        found = _NGINX.match(line)
        if found is None:
            return None
        year, month, day = (int(part) for part in found["date"].split("/"))
        fields: dict[str, object] = {"pid": int(found["pid"]), "tid": int(found["tid"])}
        if found["cid"]:
            fields["connection"] = int(found["cid"])
        message = found["msg"]
        if ", " in message and ctx.fields:  # a scan reads no field: spare the search
            for key, value in _NGINX_CONTEXT.findall(message):
                fields[key] = value.strip('"')
        return Parsed(
            timestamp=from_parts(year, month, day, found["hms"], ctx.tz),
            level=level_from_word(found["level"]),
            logger="nginx",
            message=message,
            fields=fields,
        )


_APACHE = re.compile(
    r"\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) "
    r"(?P<hms>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))? (?P<year>\d{4})\] "
    r"\[(?:(?P<module>[\w-]+):)?(?P<level>[a-z]+\d?)\]"
    r"(?: \[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\])? ?(?P<msg>.*)$"
)
_CLIENT = re.compile(r"\[(?:client|remote) (?P<client>[^\]]+)\]")
_CUPS = re.compile(r"(?P<letter>[DIWEXACNd]) \[(?P<time>[^\]]{20,32})\] (?P<msg>.*)$")
_CUPS_LEVELS = {
    "d": Level.DEBUG,
    "D": Level.DEBUG,
    "I": Level.INFO,
    "N": Level.INFO,
    "W": Level.WARNING,
    "E": Level.ERROR,
    "C": Level.CRITICAL,
    "A": Level.CRITICAL,
    "X": Level.CRITICAL,
}


def _apache_level(word: str) -> Level | None:
    if word.startswith("trace"):  # trace1 … trace8
        return Level.DEBUG
    return level_from_word(word)


class ApacheErrorParser:
    """Parser for Apache httpd's error log (2.2 and 2.4 layouts) and CUPS's `error_log`.

    `message` keeps `[client …]` (httpd writes it as part of the message; it is also copied to
    `fields.client`); module, pid and tid go to `fields`.
    """

    name = "apache_error"
    # first_char: `[` for httpd (`_APACHE`), else a `_CUPS` level letter
    first_char = r"[\[ACDEINWXd]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not an Apache (or CUPS) error-log line."""
        if line.startswith("["):
            return self._apache(line, ctx)
        found = _CUPS.match(line)
        if found is None:
            return None
        timestamp = clf_time(found["time"], ctx)
        if timestamp is None:
            return None
        return Parsed(
            timestamp=timestamp,
            level=_CUPS_LEVELS.get(found["letter"]),
            logger=None,
            message=found["msg"],
            fields={"layout": "cups"},
        )

    def _apache(self, line: str, ctx: ParseContext) -> Parsed | None:
        found = _APACHE.match(line)
        if found is None:
            return None
        level = _apache_level(found["level"])
        if level is None:
            return None
        fields: dict[str, object] = {}
        if found["module"]:
            fields["module"] = found["module"]
        for key in ("pid", "tid"):
            if found[key]:
                fields[key] = int(found[key])
        message = found["msg"]
        client = _CLIENT.search(message, 0, 80)
        if client is not None:
            fields["client"] = client["client"]
        return Parsed(
            timestamp=from_parts(
                int(found["year"]),
                MONTHS.get(found["mon"].lower(), 0),
                int(found["day"]),
                found["hms"],
                ctx.tz,
                found["frac"] or "",
            ),
            level=level,
            logger=found["module"],
            message=message,
            fields=fields,
        )
