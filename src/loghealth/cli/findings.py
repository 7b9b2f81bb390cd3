"""CLI: `loghealth findings` — read and act on stored findings (before/without the API)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from loghealth.cli.common import fail, parse_since
from loghealth.cli.serve import ConfigOption, DatabaseOption, DataDirOption, open_store
from loghealth.clock import SystemClock
from loghealth.engine import health_score
from loghealth.engine.lifecycle import Action
from loghealth.model import FindingState
from loghealth.report.document import finding_document, iso
from loghealth.rules.loader import load_catalog

if TYPE_CHECKING:
    from loghealth.settings import Settings
    from loghealth.store.repository import Store, StoredFinding

__all__ = ["findings_app"]

findings_app = typer.Typer(help="List stored findings and resolve, reopen, ignore or snooze them.")


def _store(config: Path | None, database_url: str | None, data_dir: Path | None) -> Store:
    return _settings_and_store(config, database_url, data_dir)[1]


def _settings_and_store(
    config: Path | None, database_url: str | None, data_dir: Path | None
) -> tuple[Settings, Store]:
    from loghealth.store.repository import Store

    settings, engine = open_store(config, database_url, data_dir, must_exist=True)
    return settings, Store(engine)


def _document(stored: StoredFinding, lang: str) -> dict[str, Any]:
    document = finding_document(stored.finding, load_catalog(), lang)
    document.update(
        id=stored.id,
        state=str(stored.state),
        snoozed_until=iso(stored.snoozed_until),
        last_hit_at=iso(stored.last_hit_at),
        catalog_version=stored.catalog_version,
    )
    return document


@findings_app.callback(invoke_without_command=True)
def list_findings(
    ctx: typer.Context,
    state: Annotated[
        list[str] | None,
        typer.Option(help="open, regressed, resolved, ignored, snoozed (repeatable)."),
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="table | json")] = "table",
    lang: Annotated[str, typer.Option(help="Language of the texts.")] = "en",
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """List stored findings (newest hit first).

    Health counts active findings hit within `findings.health_window_secs` (default 5 min),
    with the same formula as `scan`.
    """
    if ctx.invoked_subcommand is not None:
        return
    try:
        states = [FindingState(s) for s in state or []]
    except ValueError as error:
        fail(str(error))
    settings, store = _settings_and_store(config, database_url, data_dir)
    stored = store.findings(states)
    recent = SystemClock().now() - timedelta(seconds=settings.findings.health_window_secs)
    active = [s.finding for s in stored if s.state.is_active and s.last_hit_at >= recent]
    health = health_score(active)
    documents = [_document(s, lang) for s in stored]
    if output == "json":
        typer.echo(
            json.dumps(
                {
                    "findings": documents,
                    "health": {"score": health.score, "status": str(health.status)},
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    table = Table(title=f"{len(documents)} finding(s) · health {health.score}/100 {health.status}")
    for column in ("id", "state", "severity", "finding", "count", "last seen (UTC)", "source"):
        table.add_column(column)
    for doc in documents:
        table.add_row(
            str(doc["id"]),
            doc["state"],
            doc["severity"],
            doc["title"],
            str(doc["count"]),
            (doc["last_seen"] or "–")[:19],
            doc["source"],
        )
    Console().print(table)


def _act(
    finding_id: int,
    action: Action,
    config: Path | None,
    database_url: str | None,
    data_dir: Path | None,
    until: datetime | None = None,
) -> None:
    store = _store(config, database_url, data_dir)
    try:
        event = store.act(finding_id, action, "cli", SystemClock().now(), until)
    except KeyError:
        fail(f"no finding with id {finding_id}")
    except ValueError as error:
        fail(str(error))
    typer.echo(f"finding {finding_id}: {event.finding.state}")


IdArgument = Annotated[int, typer.Argument(help="Finding id (see `loghealth findings`).")]


@findings_app.command("resolve")
def resolve(
    finding_id: IdArgument,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Mark a finding resolved (it regresses if it fires again)."""
    _act(finding_id, Action.RESOLVE, config, database_url, data_dir)


@findings_app.command("reopen")
def reopen(
    finding_id: IdArgument,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Reopen a resolved, ignored or snoozed finding."""
    _act(finding_id, Action.REOPEN, config, database_url, data_dir)


@findings_app.command("ignore")
def ignore(
    finding_id: IdArgument,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Ignore a finding for good (it keeps counting, silently)."""
    _act(finding_id, Action.IGNORE, config, database_url, data_dir)


@findings_app.command("snooze")
def snooze(
    finding_id: IdArgument,
    until: Annotated[str, typer.Option(help="An age (2h, 1d) or an ISO time.")],
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Silence a finding until a time; it reopens if it fires after that."""
    now = SystemClock().now()
    relative = parse_since(until, now, UTC)
    assert relative is not None  # noqa: S101 - parse_since exits on bad input
    target = now + (now - relative) if relative < now else relative
    _act(finding_id, Action.SNOOZE, config, database_url, data_dir, target)
