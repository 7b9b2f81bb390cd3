"""CLI: `loghealth users` — dashboard users (create with a prompted password, list, disable)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loghealth.cli.common import fail, parse_role, print_rows
from loghealth.cli.serve import ConfigOption, DatabaseOption, DataDirOption, open_store
from loghealth.clock import SystemClock
from loghealth.report.document import iso

if TYPE_CHECKING:
    pass

__all__ = ["users_app"]

users_app = typer.Typer(
    help="Dashboard users (roles viewer < admin < superadmin); passwords are argon2id-hashed.",
    no_args_is_help=True,
)


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="Login name (letters, digits, ._@-; 1-64).")],
    role: Annotated[str, typer.Option(help="viewer | admin | superadmin")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
    ] = False,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a user; the password is prompted (twice) unless --password-stdin."""
    from loghealth.store.users import UserExistsError, UserStore

    wanted = parse_role(role)
    password = _password(password_stdin)
    engine = open_store(config, database_url, data_dir)[1]
    try:
        user = UserStore(engine).create(name, password, wanted, SystemClock().now())
    except UserExistsError as error:
        fail(str(error))
    except ValueError as error:
        fail(str(error))
    finally:
        engine.dispose()
    typer.echo(f"user {user.name!r} ({user.role}) created")


@users_app.command("list")
def list_users(
    output: Annotated[str, typer.Option("--output", "-o", help="table | json")] = "table",
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """List users (never their password hashes), disabled ones included."""
    from loghealth.store.users import UserStore

    engine = open_store(config, database_url, data_dir)[1]
    users = UserStore(engine).list()
    engine.dispose()
    rows = [
        {"id": u.id, "name": u.name, "role": str(u.role), "created_at": iso(u.created_at),
         "last_login_at": iso(u.last_login_at), "disabled_at": iso(u.disabled_at)}
        for u in users
    ]  # fmt: skip
    columns = ("id", "name", "role", "created_at", "last_login_at", "disabled_at")
    print_rows(rows, columns, output, f"{len(rows)} user(s)")


def _set_disabled(
    name: str, disable: bool, config: Path | None, database_url: str | None, data_dir: Path | None
) -> None:
    from loghealth.store.users import UserStore

    engine = open_store(config, database_url, data_dir)[1]
    try:
        UserStore(engine).set_disabled(name, SystemClock().now() if disable else None)
    except KeyError:
        fail(f"no user named {name!r}")
    finally:
        engine.dispose()


@users_app.command("disable")
def disable_user(
    name: Annotated[str, typer.Argument(help="The user's login name.")],
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Disable a user: it cannot log in, and its open sessions end at once."""
    _set_disabled(name, True, config, database_url, data_dir)
    typer.echo(f"user {name!r} disabled")


@users_app.command("enable")
def enable_user(
    name: Annotated[str, typer.Argument(help="The user's login name.")],
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Enable a disabled user again."""
    _set_disabled(name, False, config, database_url, data_dir)
    typer.echo(f"user {name!r} enabled")
