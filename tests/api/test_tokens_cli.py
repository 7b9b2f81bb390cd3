"""`loghealth tokens`: create prints the secret once, list never shows it, revoke, client keys."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from loghealth.cli.main import app
from loghealth.clock import SystemClock
from loghealth.store.migrate import create_store_engine
from loghealth.store.tokens import Role, TokenStore


def test_tokens_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["--data-dir", str(tmp_path)]
    created = runner.invoke(app, ["tokens", "create", "--name", "ci", "--role", "admin", *where])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("lht_")
    engine = create_store_engine(f"sqlite:///{tmp_path / 'loghealth.db'}")
    token = TokenStore(engine).resolve(secret, SystemClock().now())
    assert token is not None and token.role is Role.ADMIN

    listed = runner.invoke(app, ["tokens", "list", "--output", "json", *where])
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["role"]) for r in rows] == [("ci", "admin")]
    assert secret not in listed.stdout

    revoked = runner.invoke(app, ["tokens", "revoke", str(rows[0]["id"]), *where])
    assert revoked.exit_code == 0
    assert TokenStore(engine).resolve(secret, SystemClock().now()) is None
    missing = runner.invoke(app, ["tokens", "revoke", "99", *where])
    assert missing.exit_code == 2

    bad_role = runner.invoke(app, ["tokens", "create", "--name", "x", "--role", "god", *where])
    assert bad_role.exit_code == 2

    key = runner.invoke(app, ["tokens", "client-key", "kiosk-1", *where])
    assert key.stdout.strip().startswith("lhk_")
    assert TokenStore(engine).client_for_key(key.stdout.strip()) == "kiosk-1"
    engine.dispose()
