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
        tables = set(inspect(engine).get_table_names())
        assert tables >= {"container_cursors", "checkpoints", "remediation_pauses"}
        config = _config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        assert "remediation_pauses" not in inspect(engine).get_table_names()
        indexes = {i["name"] for i in inspect(engine).get_indexes("remediation_runs")}
        assert "ix_remediation_runs_started" not in indexes
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


@pytest.mark.parametrize("revision", ["0005", "0006", "head"])
def test_migrate_to_a_revision_is_idempotent(database_url: str, revision: str) -> None:
    engine = create_store_engine(database_url)
    try:
        migrate(engine, revision)
        migrate(engine, revision)
        tables = inspect(engine).get_table_names()
        assert ("container_cursors" in tables) is (revision != "0005")
        assert ("remediation_pauses" in tables) is (revision == "head")
    finally:
        engine.dispose()
