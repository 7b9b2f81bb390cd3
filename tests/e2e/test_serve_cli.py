"""`loghealth serve` as a real process: follows files, stores findings, stops cleanly on SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest


def loghealth(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loghealth", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def stored_findings(cwd: Path) -> list[dict[str, Any]]:
    result = loghealth("findings", "-o", "json", cwd=cwd)
    if result.returncode != 0:
        return []
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_serve_finds_and_cli_acts(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    app = logs / "app.log"
    app.write_text("2024-05-01 10:00:00,000 INFO app: started\n")
    server = subprocess.Popen(
        [sys.executable, "-m", "loghealth", "serve", "--listen", "off"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with app.open("a") as handle:
            handle.write(
                "2024-05-01 10:00:01,000 ERROR app: OSError: [Errno 28] No space left on device\n"
            )
        [finding] = wait_for(lambda: stored_findings(tmp_path))
        assert finding["signature_id"] == "disk-full" and finding["state"] == "open"
        assert loghealth("findings", "resolve", str(finding["id"]), cwd=tmp_path).returncode == 0
        with app.open("a") as handle:
            handle.write(
                "2024-05-01 10:00:02,000 ERROR app: OSError: [Errno 28] No space left on device\n"
            )
        wait_for(lambda: [f for f in stored_findings(tmp_path) if f["state"] == "regressed"])
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "stopped" in err
    [finding] = stored_findings(tmp_path)
    assert finding["count"] == 2


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("findings: {bogus: 1}\n", "findings.bogus"),
        ("sources: [{type: nope, paths: [x]}]\n", "sources"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "lh.yaml").write_text(config)
    result = loghealth("config", "show", "--config", "lh.yaml", cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    (tmp_path / "lh.yaml").write_text("database_url: postgresql+psycopg://u:hunter2@db/x\n")
    result = loghealth("config", "show", "--config", "lh.yaml", cwd=tmp_path)
    assert result.returncode == 0 and "hunter2" not in result.stdout and "****" in result.stdout


def test_findings_without_a_store_says_what_to_do(tmp_path: Path) -> None:
    result = loghealth("findings", cwd=tmp_path)
    assert result.returncode == 2 and "loghealth serve" in result.stderr
