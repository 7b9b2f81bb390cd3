"""CLI: `loghealth serve`, `loghealth db upgrade`, `loghealth config show`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from loghealth.cli.common import fail, stderr
from loghealth.clock import SystemClock
from loghealth.rules.loader import CatalogError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from loghealth.runtime.pipeline import Pipeline
    from loghealth.settings import Settings
    from loghealth.sources.base import Source

__all__ = ["config_app", "db_app", "load_cli_settings", "open_store", "serve_command"]

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file.")]
DatabaseOption = Annotated[
    str | None,
    typer.Option(help="postgresql+psycopg://user@host/db (default: SQLite under --data-dir)."),
]
DataDirOption = Annotated[Path | None, typer.Option(help="Where the SQLite store lives.")]


def load_cli_settings(config: Path | None, **overrides: Any) -> Settings:
    """Settings from a config file, the environment and flags; exit 2 with the bad key's path."""
    import yaml  # settings, pydantic-settings and YAML load only for commands that use them
    from pydantic import ValidationError

    from loghealth.settings import load_settings

    if config is not None and not config.is_file():
        fail(f"--config {config}: no such file")
    try:
        return load_settings(config, **overrides)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        fail(f"invalid settings: {problems}")
    except (OSError, yaml.YAMLError, ValueError) as error:
        fail(f"cannot read settings: {error}")


def open_store(
    config: Path | None,
    database_url: str | None,
    data_dir: Path | None,
    *,
    must_exist: bool = False,
) -> tuple[Settings, Engine]:
    """Settings and a migrated store engine for a CLI command (SQLAlchemy + Alembic load here).

    `must_exist`: exit 2 when the default SQLite store has not been created yet (commands that
    only read what `serve` stored); otherwise its directory is created.
    """
    from loghealth.store.migrate import create_store_engine, migrate

    settings = load_cli_settings(config, database_url=database_url, data_dir=data_dir)
    if settings.database_url is None:
        if must_exist and not (settings.data_dir / "loghealth.db").exists():
            fail(
                f"no store at {settings.data_dir}: run `loghealth serve` first (or pass --data-dir)"
            )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_store_engine(settings.effective_database_url())
    migrate(engine)
    return settings, engine


def serve_command(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, directories, globs or - (stdin). Default: the config's sources or ./logs.",
            show_default=False,
        ),
    ] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
    discover: Annotated[
        bool,
        typer.Option(
            "--discover", help="Also follow common log locations that exist (/var/log/syslog, …)."
        ),
    ] = False,
    start_at: Annotated[
        str | None,
        typer.Option(help="beginning | end: where to start in files seen for the first time."),
    ] = None,
    listen: Annotated[
        str | None,
        typer.Option(help="host:port of the REST API (default 127.0.0.1:8470; 'off': no API)."),
    ] = None,
) -> None:
    """Watch logs continuously and keep findings in a store, until Ctrl-C.

    Files are followed like `tail -F` (rotation-safe); a restart resumes where it stopped.
    Findings open, update, regress and resolve; see them with `loghealth findings`.
    """
    # The serve stack (FastAPI, uvicorn, SQLAlchemy, sources) is imported here, not at module
    # level, so that `loghealth scan` does not pay for it at start-up.
    import asyncio
    import signal

    from loghealth.api.server import api_service, parse_listen
    from loghealth.runtime.heal import heal_service, remediation_problems
    from loghealth.runtime.notify import notify_service
    from loghealth.runtime.serve import discover_common_locations, run_serve
    from loghealth.settings import FileSourceSettings
    from loghealth.sources.stdin import StdinSource
    from loghealth.store.users import UserStore

    overrides: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "listen": listen,
    }
    files = [p for p in paths or [] if p != "-"]
    if discover:
        found = discover_common_locations()
        stderr.print(f"discovered: {', '.join(found) or 'nothing'}", highlight=False)
        files += found
        paths = [*(paths or []), *found]
    extra: list[Source] = [StdinSource()] if "-" in (paths or []) else []
    if paths:
        overrides["sources"] = (
            [FileSourceSettings(paths=files, start_at=start_at or "beginning")] if files else []
        )
    settings = load_cli_settings(config, **overrides)
    stop = asyncio.Event()

    def ready(pipeline: Pipeline) -> None:
        where = "PostgreSQL" if settings.database_url else settings.effective_database_url()
        stderr.print(
            f"loghealth serve: {len(pipeline.sources)} source(s), "
            f"{len(pipeline.engine.matcher.signatures)} signatures; store: {where}; "
            "findings: `loghealth findings`; stop with Ctrl-C",
            highlight=False,
        )
        for problem in pipeline.engine.catalog.errors + pipeline.engine.errors:
            stderr.print(f"[red]rule error:[/] {problem}", highlight=False)
        for problem in remediation_problems(pipeline.engine.catalog, settings.remediation):
            stderr.print(f"[red]remediation:[/] {problem}", highlight=False)
        if not UserStore(pipeline.store.engine).list():
            stderr.print(
                "loghealth serve: no dashboard users yet; create one with "
                "`loghealth users create NAME --role admin` (or log in with an API token)",
                highlight=False,
            )

    def api_started(host: str, port: int) -> None:
        stderr.print(
            f"loghealth serve: API on http://{host}:{port}/api/v1 (docs: /api/docs)",
            highlight=False,
        )
        shown = f"[{host}]" if ":" in host else host
        stderr.print(
            f"loghealth serve: dashboard on http://{shown}:{port}/", highlight=False, soft_wrap=True
        )

    services = []
    if settings.listen.strip().lower() not in ("", "off"):
        try:
            parse_listen(settings.listen)
        except ValueError as error:
            fail(str(error))
        services.append(api_service(settings, SystemClock(), api_started))
    services.append(heal_service(settings, SystemClock()))  # auto-heal actions (audited)
    services.append(notify_service(settings, SystemClock()))  # triggers -> notifiers

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_serve(
            settings, SystemClock(), stop, extra_sources=extra, on_ready=ready, services=services
        )

    try:
        asyncio.run(main())
    except CatalogError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot serve the API: {error}")
    stderr.print("loghealth serve: stopped; everything read was committed", highlight=False)


db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    config: ConfigOption = None, database_url: DatabaseOption = None, data_dir: DataDirOption = None
) -> None:
    """Create or migrate the store's schema to the latest version (serve does this on start)."""
    open_store(config, database_url, data_dir)[1].dispose()
    typer.echo("database is up to date")


config_app = typer.Typer(help="Inspect settings.", no_args_is_help=True)


def _masked(value: Any) -> Any:
    from pydantic import SecretStr

    if isinstance(value, SecretStr):
        return "**********"
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _described_actions(settings: Settings) -> dict[str, Any]:
    """Remediation actions as `GET /actions` shows them (secrets and URL passwords masked)."""
    from loghealth.remediation import build_actions
    from loghealth.runtime.heal import egress_allow

    actions = build_actions(settings.remediation, egress_allow(settings))
    return {name: action.describe() for name, action in actions.items()}


@config_app.command("show")
def config_show(config: ConfigOption = None) -> None:
    """Print the effective settings (file + environment + defaults) with secrets masked."""
    from loghealth.settings import Settings

    settings = load_cli_settings(config)
    data = {name: _masked(getattr(settings, name)) for name in Settings.model_fields}
    data["sources"] = [_masked(s.model_dump()) for s in settings.sources]
    data["findings"] = settings.findings.model_dump()
    data["rate_limit"] = settings.rate_limit.model_dump()
    data["api"] = settings.api.model_dump()
    data["clients"] = settings.clients.model_dump()
    data["remediation"] = _masked(settings.remediation.model_dump())
    data["remediation"]["actions"] = _described_actions(settings)
    data["egress"] = settings.egress.model_dump()
    data["notifications"] = settings.notifications.model_dump()
    typer.echo(json.dumps(data, indent=2, default=str))
