"""Migrations on SQLite and PostgreSQL: head matches `store.tables`, and every step reverts."""

from __future__ import annotations

from importlib import resources

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.tables import Base


def _config() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("loghealth.store") / "migrations")
    )
    return config


def test_upgrade_matches_the_tables_and_downgrade_reverts_every_step(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        migrate(engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
        assert set(inspect(engine).get_table_names()) >= {"container_cursors", "checkpoints"}
        config = _config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")
        assert "container_cursors" not in inspect(engine).get_table_names()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(engine)
        assert {t.name for t in Base.metadata.sorted_tables} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", ["0005", "head"])
def test_migrate_to_a_revision_is_idempotent(database_url: str, revision: str) -> None:
    engine = create_store_engine(database_url)
    try:
        migrate(engine, revision)
        migrate(engine, revision)
        has_cursors = "container_cursors" in inspect(engine).get_table_names()
        assert has_cursors is (revision == "head")
    finally:
        engine.dispose()
