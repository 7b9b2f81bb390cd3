"""CLI: `loghealth parse` — print the records loghealth sees, as JSON lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from loghealth.cli.common import fail, stderr, timezone_option
from loghealth.clock import SystemClock
from loghealth.model import LogRecord
from loghealth.parsing import (
    PARSER_NAMES,
    FormatError,
    format_names,
    load_formats,
    register_formats,
)
from loghealth.report.document import iso
from loghealth.runtime import ScanOptions
from loghealth.runtime.scan import iter_source_records
from loghealth.sources import InputError, discover_inputs

__all__ = ["parse_command", "record_document"]


def record_document(record: LogRecord) -> dict[str, Any]:
    """One record in `loghealth parse` JSON shape."""
    return {
        "timestamp": iso(record.timestamp),
        "level": record.level.name if record.level is not None else None,
        "logger": record.logger,
        "message": record.message,
        "fields": record.fields,
        "format": record.format,
        "source": record.source,
        "line": record.line,
    }


def parse_command(
    paths: Annotated[
        list[str], typer.Argument(help="Files, directories or - for stdin.", show_default=False)
    ],
    log_format: Annotated[
        str | None, typer.Option("--format", help=f"Force a format: {', '.join(PARSER_NAMES)}.")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="Zone of timestamps without an offset.")
    ] = "local",
    include: Annotated[
        list[str] | None, typer.Option(help="Glob of files to read in directories.")
    ] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob of files to skip.")] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Print format detection scores to stderr.")
    ] = False,
    formats: Annotated[
        list[Path] | None,
        typer.Option(
            "--formats", help="Format files or directories (YAML/JSON, ours or lnav's) to add."
        ),
    ] = None,
) -> None:
    """Print every record as one JSON object per line (timestamp, level, logger, message, fields…).

    Useful to check what loghealth understood of a log before writing a rule.
    """
    if formats:
        try:
            register_formats(load_formats(formats))
        except (FormatError, ValueError) as error:
            fail(str(error))
    if log_format and log_format not in format_names():
        fail(f"--format {log_format!r}: use one of {', '.join(format_names())}")
    options = ScanOptions(tz=timezone_option(timezone), now=SystemClock().now(), format=log_format)
    try:
        for source in discover_inputs(paths, include or (), exclude or ()):
            report, records = iter_source_records(source, options)
            if explain:
                scores = ", ".join(
                    f"{k} {v:.2f}" for k, v in sorted(report.scores.items(), key=lambda kv: -kv[1])
                )
                stderr.print(
                    f"{source.name}: {report.format} ({scores or 'forced'})", highlight=False
                )
            for record in records:
                sys.stdout.write(
                    json.dumps(record_document(record), ensure_ascii=False, default=str) + "\n"
                )
    except InputError as error:
        fail(str(error))
    except BrokenPipeError:
        raise typer.Exit(code=0) from None
