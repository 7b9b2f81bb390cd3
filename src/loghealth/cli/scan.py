"""CLI: `loghealth scan` — find known problems in log files and explain them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from loghealth.cli.common import fail, parse_since, progress_for, stderr, timezone_option
from loghealth.clock import SystemClock
from loghealth.engine import Engine, Redactor
from loghealth.engine.backends import EngineKind, EngineUnavailableError
from loghealth.gc_policy import collector_paused, young_collections_spaced
from loghealth.model import Severity
from loghealth.parsing import PARSER_NAMES
from loghealth.report import render_markdown, render_table, scan_document
from loghealth.rules.loader import CatalogError, load_catalog
from loghealth.runtime import ScanOptions, scan_inputs
from loghealth.runtime.cache import default_cache
from loghealth.sources import InputError, discover_inputs

__all__ = ["scan_command"]

_OUTPUTS = ("table", "json", "markdown")


def scan_command(
    paths: Annotated[
        list[str],
        typer.Argument(help="Files, directories (recursive) or - for stdin.", show_default=False),
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="table | json | markdown")
    ] = "table",
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 1 if a finding is at or above this severity "
            "(info, warning, error, critical, none)."
        ),
    ] = "error",
    pack: Annotated[list[str] | None, typer.Option(help="Only these packs (repeatable).")] = None,
    rules: Annotated[
        list[Path] | None, typer.Option(help="A YAML file of your own rules (repeatable).")
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(
            "--format", help=f"Force a format instead of detecting it: {', '.join(PARSER_NAMES)}."
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(help="Zone of timestamps without an offset: IANA name, UTC or local."),
    ] = "local",
    last: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Only the newest N records of each source (every line is then parsed: slower).",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only records at or after this time (ISO time, or an age: 30m, 2h, 7d); every "
            "line is then parsed, which is several times slower on big files."
        ),
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option(
            help="Glob of files to read in directories (repeatable; default: common log names)."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Glob of files to skip (repeatable).")
    ] = None,
    redact: Annotated[
        list[str] | None,
        typer.Option(
            help="Also redact this string everywhere (repeatable: printer names, serials…)."
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of finding texts (en, ru…).")] = "en",
    engine_kind: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Matching backend: auto (fast when Hyperscan is installed), fast, portable.",
        ),
    ] = "auto",
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Worker processes for large inputs (default: CPU count)."
        ),
    ] = None,
) -> None:
    """Scan logs for known failure signatures and explain each finding.

    Exit codes: 0 no finding at or above --fail-on, 1 such findings, 2 usage or input error.

    Examples:
      loghealth scan /var/log/myapp/

      loghealth scan app.log --output json --fail-on warning

      journalctl -o short | loghealth scan - --since 2h
    """
    if output not in _OUTPUTS:
        fail(f"--output {output!r}: use one of {', '.join(_OUTPUTS)}")
    threshold = None if fail_on.lower() == "none" else _severity(fail_on)
    if log_format and log_format not in PARSER_NAMES:
        fail(f"--format {log_format!r}: use one of {', '.join(PARSER_NAMES)}")
    tz = timezone_option(timezone)
    now = SystemClock().now()
    with collector_paused():  # what start-up builds lives to the end (see `gc_policy`)
        try:
            catalog = load_catalog(pack or None, rules or ())
            inputs = discover_inputs(paths, include or (), exclude or ())
        except (CatalogError, InputError) as error:
            fail(str(error))
        if not inputs:
            fail(f"no log files found in {', '.join(paths)} (see --include)")
        options = ScanOptions(
            tz=tz, now=now, format=log_format, last=last, since=parse_since(since, now, tz)
        )
        if engine_kind not in tuple(EngineKind):
            fail(f"--engine {engine_kind!r}: use one of {', '.join(EngineKind)}")
        try:
            redactor = Redactor(redact or (), catalog.redact_patterns())
            engine = Engine(catalog, redactor, engine_kind, default_cache())
        except EngineUnavailableError as error:
            fail(str(error))
    try:
        with progress_for(inputs, enabled=True) as on_bytes, young_collections_spaced():
            result = scan_inputs(inputs, engine, options, on_bytes, jobs or os.cpu_count() or 1)
    except InputError as error:
        fail(str(error))
    document = scan_document(result, catalog, lang)
    if output == "json":
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif output == "markdown":
        typer.echo(render_markdown(document), nl=False)
    else:
        render_table(document, Console())
    for problem in result.errors if output != "table" else ():
        stderr.print(f"[red]rule error:[/] {problem}", highlight=False)
    if threshold is not None and any(f.severity >= threshold for f in result.findings):
        raise typer.Exit(code=1)


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as error:
        fail(f"--fail-on: {error}")
