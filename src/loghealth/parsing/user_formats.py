r"""Parsing: formats defined without code — YAML/JSON format files and lnav format definitions.

A loghealth format file (YAML or JSON) holds one format or a list of them:

```yaml
name: myapp                      # becomes the format name (`--format myapp`, `record.format`)
regex: '^(?P<timestamp>\S+ \S+) (?P<level>\w+) (?P<logger>[\w.]+): (?P<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S,%f'   # optional strptime format; ISO 8601, syslog, CLF and
                                          # epoch times are read without one
levels: {error: 'ERR|E', warning: 'WARN'}  # optional: level -> regex searched in the level text
samples: [{line: '2024-05-01 10:00:00,000 ERR app: boom', level: error}]
```

`regex` may be one pattern or a list (tried in order). Named groups: `timestamp`, `level`,
`logger` (or `component`, `module`, `tag`), `message` (or `body`, `msg`); any other group goes to
`fields`. Without a message group the message is what follows the match. Lines that do not match
are continuation lines (folded into the record above when they look like one) or go to the
per-line fallback. lnav format definitions (`{"name": {"regex": {"std": {"pattern": …}},
"level-field": …, "level": {…}, "timestamp-format": […], "body-field": …, "sample": […]}}`) are
read too; lnav's JSON formats (`"json": true`) are skipped (`json_lines` reads those lines).
Patterns are compiled with the `regex` module (PCRE-style `(?<name>…)`, possessive quantifiers).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import regex  # type: ignore[import-untyped]
import yaml

from loghealth.model import Level
from loghealth.parsing.base import Parsed
from loghealth.parsing.context import ParseContext
from loghealth.parsing.generic import GenericParser
from loghealth.parsing.levels import level_from_word
from loghealth.parsing.timestamps import from_epoch, from_iso

__all__ = ["FormatError", "FormatSpec", "UserFormatParser", "load_format_file", "load_formats"]

_LOGGER_GROUPS = ("logger", "component", "module", "tag", "log_procname", "log_syslog_tag")
_MESSAGE_GROUPS = ("message", "body", "msg")
_LEVEL_NAMES = {
    "trace": Level.DEBUG,
    "debug": Level.DEBUG,
    "debug2": Level.DEBUG,
    "debug3": Level.DEBUG,
    "debug4": Level.DEBUG,
    "debug5": Level.DEBUG,
    "info": Level.INFO,
    "stats": Level.INFO,
    "notice": Level.INFO,
    "warning": Level.WARNING,
    "error": Level.ERROR,
    "critical": Level.CRITICAL,
    "fatal": Level.CRITICAL,
}
_HEURISTIC = GenericParser()


class FormatError(ValueError):
    """A format file that cannot be read or compiled (the message names the file and format)."""


@dataclass(frozen=True)
class FormatSpec:
    """One user-defined format, compiled. `samples` are (line, expected level name or None)."""

    name: str
    patterns: tuple[regex.Pattern[str], ...]
    level_field: str = "level"
    body_field: str | None = None
    timestamp_field: str = "timestamp"
    timestamp_formats: tuple[str, ...] = ()
    levels: tuple[tuple[Level, regex.Pattern[str]], ...] = ()
    samples: tuple[tuple[str, str | None], ...] = field(default=())


def _compile(pattern: str, where: str) -> regex.Pattern[str]:
    try:
        return regex.compile(pattern, regex.VERSION0)
    except (regex.error, TypeError, ValueError) as error:
        raise FormatError(f"{where}: cannot compile {pattern!r}: {error}") from None


def _spec(name: str, data: Mapping[str, Any], where: str) -> FormatSpec | None:
    """Build a spec from a loghealth or lnav definition; None for lnav JSON formats."""
    if data.get("json"):
        return None
    raw = data.get("regex")
    if isinstance(raw, Mapping):  # lnav: {"std": {"pattern": …}, …}
        texts = [str(v.get("pattern", "")) for v in raw.values() if isinstance(v, Mapping)]
    elif isinstance(raw, list):
        texts = [str(v) for v in raw]
    elif isinstance(raw, str):
        texts = [raw]
    else:
        raise FormatError(f"{where}: format {name!r} has no regex")
    patterns = tuple(_compile(text, f"{where} {name}") for text in texts if text)
    levels = []
    for level_name, pattern in (data.get("level") or data.get("levels") or {}).items():
        level = _LEVEL_NAMES.get(str(level_name).lower())
        if level is not None and isinstance(pattern, str):
            levels.append((level, _compile(pattern, f"{where} {name} level {level_name}")))
    formats = data.get("timestamp-format") or data.get("timestamp_format") or ()
    samples = tuple(
        (str(s["line"]), s.get("level"))
        for s in data.get("sample") or data.get("samples") or ()
        if isinstance(s, Mapping) and "line" in s
    )
    return FormatSpec(
        name=name,
        patterns=patterns,
        level_field=str(data.get("level-field") or data.get("level_field") or "level"),
        body_field=data.get("body-field") or data.get("body_field"),
        timestamp_field=str(
            data.get("timestamp-field") or data.get("timestamp_field") or "timestamp"
        ),
        timestamp_formats=(formats,) if isinstance(formats, str) else tuple(formats),
        levels=tuple(levels),
        samples=samples,
    )


def load_format_file(path: Path) -> list[FormatSpec]:
    """Read one `.yaml`/`.yml`/`.json` format file (ours or lnav's).

    Raises:
        FormatError: the file cannot be read, parsed or compiled.
    """
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise FormatError(f"{path}: {error}") from None
    entries: list[tuple[str, Mapping[str, Any]]] = []
    if isinstance(data, list):
        entries = [(str(d.get("name", "")), d) for d in data if isinstance(d, Mapping)]
    elif isinstance(data, Mapping) and "name" in data:
        entries = [(str(data["name"]), data)]
    elif isinstance(data, Mapping):  # lnav: {"$schema": …, "<name>": {…}}
        entries = [(k, v) for k, v in data.items() if isinstance(v, Mapping) and "regex" in v]
    specs = []
    for name, entry in entries:
        if not name:
            raise FormatError(f"{path}: a format has no name")
        spec = _spec(name, entry, str(path))
        if spec is not None:
            specs.append(spec)
    return specs


def load_formats(paths: Iterable[Path]) -> list[FormatSpec]:
    """Read format files and directories (their `*.yaml|*.yml|*.json`, sorted by name).

    Raises:
        FormatError: a file cannot be read, parsed or compiled.
    """
    specs: list[FormatSpec] = []
    for path in paths:
        files = (
            sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
            if path.is_dir()
            else [path]
        )
        for file in files:
            specs.extend(load_format_file(file))
    return specs


class UserFormatParser:
    """Parser for one `FormatSpec`: the first of its patterns that matches the line wins."""

    def __init__(self, spec: FormatSpec) -> None:
        self.spec = spec
        self.name = spec.name

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        """Parse one line; None if no pattern of the format matches."""
        for pattern in self.spec.patterns:
            try:
                found = pattern.match(line, timeout=0.05)
            except TimeoutError:
                return None
            if found is not None:
                return self._parsed(line, found, ctx)
        return None

    def _parsed(self, line: str, found: regex.Match[str], ctx: ParseContext) -> Parsed:
        groups = {k: v for k, v in found.groupdict().items() if v is not None}
        spec = self.spec
        message_key = spec.body_field if spec.body_field in groups else None
        message_key = message_key or next((k for k in _MESSAGE_GROUPS if k in groups), None)
        message = groups.pop(message_key) if message_key else line[found.end() :]
        logger_key = next((k for k in _LOGGER_GROUPS if k in groups), None)
        level_text = groups.get(spec.level_field)
        if level_text is None and spec.level_field in _MESSAGE_GROUPS:
            level_text = message
        time_text = groups.pop(spec.timestamp_field, None)
        groups.pop(spec.level_field, None)
        return Parsed(
            timestamp=self._timestamp(time_text, ctx) if time_text else None,
            level=self._level(level_text),
            logger=groups.pop(logger_key) if logger_key else None,
            message=message,
            fields=groups,
        )

    def _level(self, text: str | None) -> Level | None:
        if text is None:
            return None
        for level, pattern in self.spec.levels:
            try:
                if pattern.search(text, timeout=0.05):
                    return level
            except TimeoutError:
                return None
        if self.spec.levels and self.spec.level_field in _MESSAGE_GROUPS:
            return Level.INFO  # lnav: a level searched in the body defaults to info
        return level_from_word(text) or (Level.INFO if self.spec.levels else None)

    def _timestamp(self, text: str, ctx: ParseContext) -> datetime | None:
        for pattern in self.spec.timestamp_formats:
            try:
                naive = datetime.strptime(text, pattern)  # noqa: DTZ007 (zone applied below)
            except (ValueError, TypeError):
                continue
            return from_iso(naive.isoformat(), ctx.tz)
        value = from_iso(text, ctx.tz)
        if value is None and text.replace(".", "", 1).isdigit():
            value = from_epoch(float(text))
        if value is None:
            heuristic = _HEURISTIC.parse(text, ctx)
            value = heuristic.timestamp if heuristic is not None else None
        return value
