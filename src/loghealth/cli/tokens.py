"""CLI: `loghealth tokens` — API tokens (create prints the secret once, list, revoke) and keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from loghealth.cli.common import fail, parse_role, print_rows
from loghealth.cli.serve import ConfigOption, DatabaseOption, DataDirOption, open_store
from loghealth.clock import SystemClock
from loghealth.report.document import iso

if TYPE_CHECKING:
    pass

__all__ = ["tokens_app"]

tokens_app = typer.Typer(
    help="API tokens (roles viewer < admin < superadmin) and client ingest keys.",
    no_args_is_help=True,
)


@tokens_app.command("create")
def create_token(
    name: Annotated[str, typer.Option(help="Who or what uses the token (e.g. ci, dashboard).")],
    role: Annotated[str, typer.Option(help="viewer | admin | superadmin")] = "viewer",
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a token and print its secret once (only its sha256 is stored)."""
    from loghealth.store.tokens import TokenStore

    wanted = parse_role(role)
    if not name.strip() or len(name) > 128:
        fail("--name must be 1-128 characters")
    engine = open_store(config, database_url, data_dir)[1]
    token, secret = TokenStore(engine).create(name.strip(), wanted, SystemClock().now())
    engine.dispose()
    typer.echo(secret)
    Console(stderr=True).print(
        f"token {token.id} ({token.role}) for {token.name!r}: store it now, it is not shown again",
        highlight=False,
    )


@tokens_app.command("list")
def list_tokens(
    output: Annotated[str, typer.Option("--output", "-o", help="table | json")] = "table",
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """List tokens (never their secrets), revoked ones included."""
    from loghealth.store.tokens import TokenStore

    engine = open_store(config, database_url, data_dir)[1]
    tokens = TokenStore(engine).list()
    engine.dispose()
    rows = [
        {"id": t.id, "name": t.name, "role": str(t.role), "prefix": t.prefix,
         "created_at": iso(t.created_at), "last_used_at": iso(t.last_used_at),
         "revoked_at": iso(t.revoked_at)}
        for t in tokens
    ]  # fmt: skip
    columns = ("id", "name", "role", "prefix", "created_at", "last_used_at", "revoked_at")
    print_rows(rows, columns, output, f"{len(rows)} token(s)")


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[int, typer.Argument(help="Token id (see `loghealth tokens list`).")],
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Revoke a token (a running server stops accepting it within seconds)."""
    from loghealth.store.tokens import TokenStore

    engine = open_store(config, database_url, data_dir)[1]
    try:
        token = TokenStore(engine).revoke(token_id, SystemClock().now())
    except KeyError:
        fail(f"no token with id {token_id}")
    finally:
        engine.dispose()
    typer.echo(f"token {token.id} ({token.name}) revoked")


@tokens_app.command("client-key")
def client_key(
    client_id: Annotated[str, typer.Argument(help="Client id (registered now if new).")],
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Print a fresh ingest key for a client (the old key stops working)."""
    from loghealth.store.clients import ClientStore

    engine = open_store(config, database_url, data_dir)[1]
    key = ClientStore(engine).rotate_key(client_id, SystemClock().now())
    engine.dispose()
    typer.echo(key)
