"""CLI entry point: the `loghealth` command and its sub-commands."""

from __future__ import annotations

import typer

from loghealth import __version__
from loghealth.cli.catalog import catalog_app
from loghealth.cli.findings import findings_app
from loghealth.cli.parse import parse_command
from loghealth.cli.scan import scan_command
from loghealth.cli.serve import config_app, db_app, serve_command
from loghealth.cli.tokens import tokens_app
from loghealth.cli.users import users_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="loghealth",
    help="Find known problems in your logs, explain them, and score their health.\n\n"
    "Start with: loghealth scan PATH",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("scan")(scan_command)
app.command("parse")(parse_command)
app.command("serve")(serve_command)
app.add_typer(catalog_app, name="catalog")
app.add_typer(findings_app, name="findings")
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(tokens_app, name="tokens")
app.add_typer(users_app, name="users")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"loghealth {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Find known problems in your logs, explain them, and score their health."""


def main() -> None:
    """Run the CLI (console script `loghealth`)."""
    app()
