"""Parsing: header-defined tab-separated logs — Zeek (formerly Bro) ASCII logs.

A Zeek log opens with `#separator`, `#path conn`, `#fields ts uid …` and `#types …` lines;
each data line is one record whose columns are named by the last `#fields` header. `ts` (epoch
seconds) is the timestamp; the `#path` value (`conn`, `http`, `dns`…) is the logger. Source: Zeek
documentation, "Logging Framework" / ASCII writer.
"""

from __future__ import annotations

import re

from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.timestamps import from_epoch

__all__ = ["ZeekParser"]

_HEADER = re.compile(r"#(?P<key>[a-z_]+)[ \t](?P<value>.*)$")
_DATA = re.compile(r"\d{9,11}(?:\.\d{1,9})?\t")
_UNSET = {"-", "(empty)"}


class ZeekParser:
    """Parser for Zeek ASCII logs; remembers the column names of the file's `#fields` header."""

    name = "zeek"
    # first_char: `#` for `_HEADER`, a `\d` epoch for `_DATA`
    first_char = r"[#\d]"

    def __init__(self) -> None:
        self._fields: list[str] = []
        self._path: str | None = None

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line: a `#` header (kept as a record, `fields.zeek_header`) or a data row."""
        header = _HEADER.match(line)
        if header is not None:
            key, value = header["key"], header["value"]
            if key == "fields":
                self._fields = value.split("\t")
            elif key == "path":
                self._path = value.strip()
            return Parsed(None, None, "zeek", line, {"zeek_header": key})
        if _DATA.match(line) is None:
            return None
        values = line.split("\t")
        names = self._fields if len(self._fields) == len(values) else []
        fields = {n: v for n, v in zip(names, values, strict=False) if v not in _UNSET}
        return Parsed(
            timestamp=from_epoch(float(values[0])),
            level=None,
            logger=self._path,
            message=line,
            fields=fields,
        )
