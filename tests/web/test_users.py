"""Dashboard users and sessions in the store (SQLite and PostgreSQL), and `loghealth users`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loghealth.cli.main import app
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.sessions import UiSessionStore
from loghealth.store.tokens import Role, TokenStore
from loghealth.store.users import UserExistsError, UserStore
from tests.web.conftest import FAST_HASHER, PASSWORD

NOW = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str):
    engine = create_store_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _scalar(engine, sql: str):
    with engine.connect() as connection:
        return connection.exec_driver_sql(sql).scalar()


def test_users_are_created_checked_and_disabled(engine) -> None:
    users = UserStore(engine, FAST_HASHER)
    alice = users.create("alice", PASSWORD, Role.ADMIN, NOW)
    assert alice.role is Role.ADMIN and not alice.is_disabled
    with pytest.raises(UserExistsError):
        users.create("alice", PASSWORD, Role.VIEWER, NOW)
    with pytest.raises(ValueError, match="at least 8"):
        users.create("bob", "short", Role.VIEWER, NOW)
    with pytest.raises(ValueError, match="user name"):
        users.create("-bad name", PASSWORD, Role.VIEWER, NOW)

    assert users.authenticate("alice", "wrong password", NOW) is None
    assert users.authenticate("nobody", PASSWORD, NOW) is None
    logged = users.authenticate("alice", PASSWORD, NOW + timedelta(minutes=1))
    assert logged is not None and logged.last_login_at == NOW + timedelta(minutes=1)
    stored = _scalar(engine, "SELECT password_hash FROM users")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    users.set_disabled("alice", NOW)
    assert users.authenticate("alice", PASSWORD, NOW) is None
    assert users.get("alice").is_disabled  # type: ignore[union-attr]
    users.set_disabled("alice", None)
    assert users.authenticate("alice", PASSWORD, NOW) is not None
    with pytest.raises(KeyError):
        users.set_disabled("nobody", NOW)
    users.set_password("alice", "another password")
    assert users.authenticate("alice", PASSWORD, NOW) is None
    assert users.authenticate("alice", "another password", NOW) is not None


def test_weak_hash_parameters_are_upgraded_on_login(engine) -> None:
    UserStore(engine, FAST_HASHER).create("alice", PASSWORD, Role.VIEWER, NOW)
    stronger = UserStore(engine, type(FAST_HASHER)(time_cost=2, memory_cost=2048, parallelism=1))
    assert stronger.authenticate("alice", PASSWORD, NOW) is not None
    stored = _scalar(engine, "SELECT password_hash FROM users")
    assert "m=2048,t=2" in stored


def test_sessions_follow_their_user_or_token(engine) -> None:
    users = UserStore(engine, FAST_HASHER)
    alice = users.create("alice", PASSWORD, Role.ADMIN, NOW)
    sessions = UiSessionStore(engine)
    secret = sessions.create(NOW, 3600, user_id=alice.id)
    session = sessions.resolve(secret, NOW + timedelta(minutes=5))
    assert session is not None and (session.kind, session.name, session.role) == (
        "user", "alice", Role.ADMIN,
    )  # fmt: skip
    assert len(session.csrf_token) >= 40
    assert sessions.resolve(secret, NOW + timedelta(hours=1)) is None  # expired
    assert sessions.resolve("not-a-session", NOW) is None
    with engine.connect() as connection:
        stored = list(connection.exec_driver_sql("SELECT session_hash FROM ui_sessions").scalars())
    assert len(stored) == 1 and secret not in stored

    again = sessions.create(NOW, 3600, user_id=alice.id)
    users.set_disabled("alice", NOW)
    assert sessions.resolve(again, NOW) is None

    tokens = TokenStore(engine)
    token, _secret = tokens.create("ops", Role.VIEWER, NOW)
    by_token = sessions.create(NOW, 3600, token_id=token.id)
    resolved = sessions.resolve(by_token, NOW)
    assert resolved is not None and (resolved.kind, resolved.role) == ("token", Role.VIEWER)
    tokens.revoke(token.id, NOW)
    assert sessions.resolve(by_token, NOW) is None

    live = sessions.create(NOW, 3600, token_id=tokens.create("x", Role.ADMIN, NOW)[0].id)
    assert sessions.delete(live) and not sessions.delete(live)
    with pytest.raises(ValueError, match="user or to a token"):
        sessions.create(NOW, 3600)
    with pytest.raises(ValueError, match="positive"):
        sessions.create(NOW, 0, user_id=alice.id)


def test_users_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["--data-dir", str(tmp_path)]
    created = runner.invoke(
        app, ["users", "create", "ops", "--role", "admin", "--password-stdin", *where],
        input=f"{PASSWORD}\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "user 'ops' (admin) created" in created.output
    prompted = runner.invoke(
        app, ["users", "create", "eve", *where], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert prompted.exit_code == 0, prompted.output
    duplicate = runner.invoke(
        app, ["users", "create", "ops", "--password-stdin", *where], input=f"{PASSWORD}\n"
    )
    assert duplicate.exit_code == 2 and "exists already" in duplicate.output
    short = runner.invoke(
        app, ["users", "create", "bob", "--password-stdin", *where], input="short\n"
    )
    assert short.exit_code == 2 and "at least 8" in short.output
    bad_role = runner.invoke(
        app, ["users", "create", "x", "--role", "god", "--password-stdin", *where], input="x\n"
    )
    assert bad_role.exit_code == 2

    listed = json.loads(runner.invoke(app, ["users", "list", "-o", "json", *where]).stdout)
    assert [(u["name"], u["role"], u["disabled_at"]) for u in listed] == [
        ("ops", "admin", None), ("eve", "viewer", None),
    ]  # fmt: skip
    assert PASSWORD not in json.dumps(listed)
    assert runner.invoke(app, ["users", "disable", "eve", *where]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["users", "list", "-o", "json", *where]).stdout)
    assert listed[1]["disabled_at"] is not None
    assert runner.invoke(app, ["users", "enable", "eve", *where]).exit_code == 0
    assert runner.invoke(app, ["users", "disable", "nobody", *where]).exit_code == 2
    table = runner.invoke(app, ["users", "list", *where])
    assert "2 user(s)" in table.stdout
