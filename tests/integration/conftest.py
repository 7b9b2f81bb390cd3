"""Integration fixtures: a real Docker-compatible engine (podman) from ../shared/tools.

The engine is started by `container-engine.sh` (or found running) once per session. Outside CI the
Docker tests skip with the reason when it cannot start; with `CI=true` they fail instead.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from loghealth.sources.base import SourceLine

ENGINE_SCRIPT = (
    Path(__file__).resolve().parents[2].parent / "shared" / "tools" / "container-engine.sh"
)
ENGINE_SOCKET = "/tmp/loghealth-engine.sock"  # noqa: S108 (container-engine.sh default)
IMAGE = "localhost/busybox:latest"
PODMAN_ENV = {**os.environ, "CONTAINERS_CONF": "/tmp/loghealth-containers.conf"}  # noqa: S108


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _answers(socket_path: str) -> bool:
    if not Path(socket_path).is_socket():
        return False
    try:
        with httpx.Client(transport=httpx.HTTPTransport(uds=socket_path), timeout=2) as client:
            return client.get("http://docker/_ping").status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Engine:
    """The running engine: its socket, and `podman` to make containers labelled for this session."""

    socket_path: str
    label: str = field(default_factory=lambda: f"loghealth.test={secrets.token_hex(4)}")

    def podman(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run(
            ["podman", *args],
            env=PODMAN_ENV,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"podman {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def run(self, name: str, script: str, *, tty: bool = False, labelled: bool = True) -> str:
        """Start a detached busybox container running `sh -c script`; return its id."""
        flags = ["-t"] if tty else []
        if labelled:
            flags += ["--label", self.label]
        return self.podman(
            "run", "-d", "--name", name, "--network", "none", *flags, IMAGE, "sh", "-c", script
        )

    def name(self, role: str) -> str:
        return f"lh-{self.label.rsplit('=', 1)[1]}-{role}"

    def remove(self, *names: str) -> None:
        for name in names:
            subprocess.run(
                ["podman", "rm", "-f", "-t", "0", name],
                env=PODMAN_ENV,
                capture_output=True,
                timeout=60,
                check=False,
            )


@pytest.fixture(scope="session")
def container_engine() -> Iterator[Engine]:
    """Start (or reuse) the podman engine; stop it at the end only if this session started it."""

    def unavailable(reason: str) -> None:
        if _in_ci():
            pytest.fail(f"CI needs the container engine: {reason}")
        pytest.skip(f"container engine unavailable: {reason}")

    if not ENGINE_SCRIPT.is_file():
        unavailable(f"{ENGINE_SCRIPT} not found")
    was_running = _answers(ENGINE_SOCKET)
    try:
        started = subprocess.run(  # from `/`: an engine whose working directory is deleted
            ["bash", str(ENGINE_SCRIPT), "start", ENGINE_SOCKET],  # later fails every restart
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            cwd="/",
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        unavailable(f"{ENGINE_SCRIPT} start: {error}")
    if started.returncode != 0 or not _answers(ENGINE_SOCKET):
        unavailable(f"{ENGINE_SCRIPT} start exited {started.returncode}: {started.stderr[-1500:]}")
    engine = Engine(ENGINE_SOCKET)
    yield engine
    leftovers = engine.podman("ps", "-aq", "--filter", f"label={engine.label}")
    engine.remove(*leftovers.split())
    if not was_running:
        subprocess.run(
            ["bash", str(ENGINE_SCRIPT), "stop", ENGINE_SOCKET],
            capture_output=True,
            timeout=60,
            check=False,
        )


class Collector:
    """A sink that keeps every line and lets a test await a condition on them (with a timeout)."""

    def __init__(self, *, yields: bool = False) -> None:
        self.lines: list[SourceLine] = []
        self._arrived = asyncio.Event()
        self._yields = yields  # give other tasks a turn on every line (a slower sink)

    async def sink(self, line: SourceLine) -> None:
        if self._yields:
            await asyncio.sleep(0)
        self.lines.append(line)
        self._arrived.set()

    def texts(self, source_id: str | None = None) -> list[str]:
        return [ln.text for ln in self.lines if source_id in (None, ln.source_id)]

    async def wait_for(self, condition: Callable[[], bool], timeout_secs: float = 30) -> None:
        async with asyncio.timeout(timeout_secs):
            while not condition():
                self._arrived.clear()
                await self._arrived.wait()


async def wait_until(condition: Callable[[], bool], timeout_secs: float = 30) -> None:
    """Await a state change that no line announces (a tail stopping), checking every 50 ms."""
    async with asyncio.timeout(timeout_secs):
        while not condition():
            await asyncio.sleep(0.05)


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coroutine, 120))
