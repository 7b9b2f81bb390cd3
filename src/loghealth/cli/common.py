"""CLI: pieces shared by commands — error exits, time options, progress bars."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from loghealth.parsing import resolve_timezone
from loghealth.parsing.timestamps import from_iso
from loghealth.sources import FileInput

if TYPE_CHECKING:
    from loghealth.store.tokens import Role

__all__ = [
    "PROGRESS_MIN_BYTES",
    "fail",
    "parse_role",
    "parse_since",
    "print_rows",
    "progress_for",
    "stderr",
    "timezone_option",
]

PROGRESS_MIN_BYTES = 4 * 1024 * 1024
"""Inputs larger than this in total get a progress bar (on a terminal)."""
_REDRAW_SECS = 0.1

stderr = Console(stderr=True)
_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def fail(message: str) -> NoReturn:
    """Print a one-line error to stderr and exit with code 2 (usage or input error)."""
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def timezone_option(name: str | None) -> tzinfo:
    """Resolve `--timezone` or exit 2 with the reason."""
    try:
        return resolve_timezone(name)
    except ValueError as error:
        fail(str(error))


def parse_since(text: str | None, now: datetime, tz: tzinfo) -> datetime | None:
    """Read `--since`: an ISO time (naive ones in `tz`) or a relative age like `30m`, `2h`, `7d`."""
    if not text:
        return None
    relative = _RELATIVE.match(text.strip())
    if relative:
        return now - timedelta(**{_UNITS[relative.group(2).lower()]: int(relative.group(1))})
    value = from_iso(text, tz)
    if value is None:
        try:
            value = from_iso(datetime.fromisoformat(text).isoformat(), tz)
        except ValueError:
            fail(f"--since {text!r}: use an ISO time (2024-05-01T10:00) or an age (30m, 2h, 7d)")
    return value


@contextmanager
def progress_for(
    inputs: Sequence[FileInput], enabled: bool
) -> Iterator[Callable[[int], None] | None]:
    """A byte progress bar on stderr when `enabled` and the inputs exceed `PROGRESS_MIN_BYTES`.

    The bar is redrawn from the callback, at most every `_REDRAW_SECS`, not by a thread of its
    own: `scan --jobs` forks its workers only while no other thread runs (`runtime.parallel`).
    """
    total = sum(i.size_bytes for i in inputs)
    if not enabled or total < PROGRESS_MIN_BYTES or not stderr.is_terminal:
        yield None
        return
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, transient=True, auto_refresh=False) as progress:
        task = progress.add_task("scanning", total=total)
        drawn = time.monotonic()

        def advance(n: int) -> None:
            nonlocal drawn
            progress.advance(task, n)
            if time.monotonic() - drawn >= _REDRAW_SECS:
                progress.refresh()
                drawn = time.monotonic()

        yield advance


def parse_role(text: str) -> Role:
    """`--role` as a `Role` (any case); exit 2 naming the roles when it is none of them."""
    from loghealth.store.tokens import Role  # SQLAlchemy: only for the commands that need it

    try:
        return Role(text.strip().lower())
    except ValueError:
        fail(f"--role {text!r}: use viewer, admin or superadmin")


def print_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], output: str, title: str
) -> None:
    """Print `rows` (keys: `columns`, in order) as JSON (`output` json) or as a Rich table.

    Empty values (None, "") show as blank cells.
    """
    if output == "json":
        typer.echo(json.dumps(list(rows), indent=2))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(value or "") for value in row.values()))
    Console().print(table)
