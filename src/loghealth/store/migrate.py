"""Store: database engines (SQLite tuned for one writer, PostgreSQL via psycopg 3), migrations."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "create_store_engine", "migrate", "sqlite_url"]

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long SQLite waits for a lock before "database is locked" (never our bug: one writer)."""


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite file (its folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _tune_sqlite(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_store_engine(url: str) -> Engine:
    """Create an engine for `sqlite:///…` or `postgresql+psycopg://…`.

    SQLite gets WAL, a busy timeout, `synchronous=NORMAL` and foreign keys on every connection.

    Raises:
        sqlalchemy.exc.ArgumentError: the URL is malformed or names an unknown dialect.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def _alembic_config() -> Config:
    config = Config()
    location = resources.files("loghealth.store") / "migrations"
    config.set_main_option("script_location", str(location))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database schema to `revision` (idempotent)."""
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
