"""A real `loghealth serve` in a subprocess on a free loopback port, over a seeded store.

The store is migrated and seeded (users `admin` and `viewer`, an admin API token) before the
server starts; the watched log starts with the bundled example app log plus lines for the test
rules, so every page has data. `stop()` sends SIGINT and requires a clean exit.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from loghealth.clock import SystemClock
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.tokens import Role, TokenStore
from loghealth.store.users import UserStore
from tests.web.conftest import PASSWORD, RULES

REPO = Path(__file__).resolve().parents[2]
EXTRA_RULES = """
  - id: zap-happened
    patterns: ['ZAP \\d+']
    severity: error
    category: bug
    area: process
    text:
      name: Zap happened
      cause: The zapper fired.
      fix: Stop the zapper.
  - id: gizmo-jammed
    patterns: ['GIZMO jammed']
    severity: error
    category: security
    area: tls
    text:
      name: Gizmo jammed
      cause: The gizmo is stuck.
      fix: Free the gizmo.
"""
SEED_LINES = (
    "2026-03-14 08:02:11,000 ERROR core: flux capacitor coil failed\n"
    "2026-03-14 08:02:12,000 WARNING net: WOBBLE detected on eth0\n"
)
_READY = re.compile(r"dashboard on (http://\S+?)/?$")


@dataclass
class LiveServe:
    """A running server: its base URL, the watched log, an admin API token, its stderr lines."""

    url: str
    log: Path
    token: str
    process: subprocess.Popen[str]
    reader: threading.Thread
    output: list[str] = field(default_factory=list)

    def api(self, path: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.get(f"{self.url}/api/v1{path}", headers=headers, timeout=10)

    def append(self, text: str) -> None:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(text)

    def wait_for_findings(self, at_least: int, timeout_secs: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_secs
        while time.monotonic() < deadline:
            if self.api("/findings?limit=1").json()["total"] >= at_least:
                return
            time.sleep(0.1)
        raise AssertionError(f"fewer than {at_least} findings after {timeout_secs} s")

    def stop(self, timeout_secs: float = 20.0) -> int:
        """SIGINT, then wait; a server that does not stop in time is killed and reported."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout_secs)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise AssertionError("loghealth serve did not stop on SIGINT") from None
        finally:
            self.reader.join(5)
            if self.process.stderr is not None:
                self.process.stderr.close()


def _seed(data_dir: Path) -> str:
    data_dir.mkdir(parents=True)
    engine = create_store_engine(f"sqlite:///{data_dir / 'loghealth.db'}")
    migrate(engine)
    now = SystemClock().now()
    users = UserStore(engine)
    users.create("admin", PASSWORD, Role.ADMIN, now)
    users.create("viewer", PASSWORD, Role.VIEWER, now)
    secret = TokenStore(engine).create("browser-tests", Role.ADMIN, now)[1]
    engine.dispose()
    return secret


def _pump(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line.rstrip("\n"))


def start_serve(root: Path, timeout_secs: float = 60.0) -> LiveServe:
    """Start `python -m loghealth serve` over a fresh store in `root`; wait for its URL."""
    (root / "rules.yaml").write_text(RULES + EXTRA_RULES)
    log = root / "logs" / "app.log"
    log.parent.mkdir(parents=True)
    log.write_text((REPO / "examples/logs/app/app.log").read_text() + SEED_LINES)
    token = _seed(root / "data")
    config = root / "loghealth.yaml"
    config.write_text(
        f"data_dir: {root / 'data'}\npacks: [generic, smarty]\nrules: [{root / 'rules.yaml'}]\n"
        f"timezone: UTC\nlisten: 127.0.0.1:0\nfindings: {{health_window_secs: 3600}}\n"
        f"sources: [{{type: file, paths: ['{log}']}}]\n"
    )
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "loghealth", "serve", "--config", str(config)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=root,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_pump, args=(process.stderr, lines), daemon=True)
    reader.start()
    output: list[str] = []
    deadline = time.monotonic() + timeout_secs
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        output.append(line)
        found = _READY.search(line)
        if found:
            return LiveServe(found.group(1), log, token, process, reader, output)
    process.kill()
    process.wait(5)
    raise AssertionError("loghealth serve printed no dashboard URL:\n" + "\n".join(output))


CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> Any:
    """Playwright's `sync_playwright`; skip (fail under CI) without it or Debian's Chromium."""
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - dev extra not installed
        reason = f"playwright is not installed ({error}); pip install -e '.[dev]'"
    if reason is None and not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (never `playwright install`)"
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the browser tests: {reason}")
        pytest.skip(reason)
    return sync_playwright


def serve_for_browser(
    root: Path, prepare: Callable[[LiveServe], None] | None = None
) -> Iterator[LiveServe]:
    """A module's `serve` for browser tests: Chromium required, the example findings in, then
    `prepare` (more data); stopped when the generator ends, which must exit 0."""
    require_chromium()
    live = start_serve(root)
    try:
        live.wait_for_findings(5)
        if prepare is not None:
            prepare(live)
        yield live
    finally:
        assert live.stop() == 0, "\n".join(live.output)


def launch_chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, for one module's tests (closed when the generator ends)."""
    sync_playwright = require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()
