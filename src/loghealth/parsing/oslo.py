"""Parsing: OpenStack services' logs, written by `oslo.log`.

Default `logging_context_format_string`: `%(asctime)s.%(msecs)03d %(process)d %(levelname)s
%(name)s [%(request_id)s %(user_identity)s] %(instance)s%(message)s` (oslo.log `_options.py`); the
`[…]` request context is optional (`[-]` outside a request). A leading token before the time (a
file name, as `grep -r`/`tail -f` of several files or aggregated logs print) is kept in
`fields.prefix`. Traceback lines (no request context, indented or `Traceback …`) are folded
into the record above.
"""

from __future__ import annotations

import re

from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.framing import is_continuation_line
from loghealth.parsing.levels import level_from_word
from loghealth.parsing.timestamps import ISO_PATTERN, from_iso

__all__ = ["OsloParser"]

_LINE = re.compile(
    rf"(?:(?P<prefix>[^\s\[]+) )?(?P<ts>{ISO_PATTERN}) (?P<pid>\d+) "
    r"(?P<level>TRACE|DEBUG|INFO|AUDIT|WARNING|ERROR|CRITICAL) (?P<logger>[A-Za-z_][\w.]*) "
    r"(?:\[(?P<context>[^\]]*)\] )?(?P<msg>.*)$"
)
_REQUEST = re.compile(r"req-[0-9a-f-]{36}")


class OsloParser:
    """Parser for oslo.log lines; `fields` holds pid, the request context and its request id."""

    name = "oslo"
    # first_char: `_LINE`: an optional `[^\s\[]` prefix, then the `\d` time
    first_char = r"[^\s\[]"

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if it is not an oslo.log line."""
        found = _LINE.match(line)
        if found is None:
            return None
        fields: dict[str, object] = {"pid": int(found["pid"])}
        if found["prefix"]:
            fields["prefix"] = found["prefix"]
        context = found["context"]
        if context is not None:
            fields["context"] = context
            request = _REQUEST.match(context)
            if request is not None:
                fields["request_id"] = request.group(0)
        level = found["level"]
        if context is None and is_continuation_line(found["msg"]):
            # oslo.log repeats the prefix on every traceback line: fold them into the record
            return Parsed(None, None, None, found["msg"], continuation=True)
        return Parsed(
            timestamp=from_iso(found["ts"], ctx.tz),
            level=level_from_word("INFO" if level == "AUDIT" else level),
            logger=found["logger"],
            message=found["msg"],
            fields=fields,
        )
