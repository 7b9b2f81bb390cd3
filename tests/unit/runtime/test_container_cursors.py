"""Container cursors: committed with the records of their lines, and resumed by discovery."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from loghealth.clock import SystemClock
from loghealth.engine import Engine
from loghealth.rules.loader import load_catalog
from loghealth.runtime.pipeline import Pipeline, PipelineOptions
from loghealth.sources.base import SourceLine
from loghealth.sources.docker import (
    ContainerDiscovery,
    ContainerInfo,
    ContainerLine,
    ContainerStream,
    DockerClient,
    LogCursor,
)
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.repository import ContainerCursorData, Store
from tests.rules import BOOM_RULES

SECOND = 1_714_557_600  # 2024-05-01T10:00:00Z
NS = 1_000_000_000


def log_line(n: int) -> str:
    return f"2024-05-01 10:00:{n:02d},000 ERROR app: BOOM {n}"


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def container_lines(texts: Sequence[str]) -> list[ContainerLine]:
    """Lines as a tail hands them over: each with the cursor after it (all in one second)."""
    lines, cursor = [], LogCursor(SECOND * NS)
    for text in texts:
        cursor = cursor.advanced(SECOND * NS)
        lines.append(ContainerLine("docker:web", text, container_id="abc", cursor=cursor))
    return lines


def test_the_cursor_committed_is_the_one_after_the_last_committed_record(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(BOOM_RULES)
    engine = create_store_engine(f"sqlite:///{tmp_path / 'lh.db'}")
    migrate(engine)
    store = Store(engine)
    pipeline = Pipeline(
        Engine(load_catalog([], [rules])),
        store,
        SystemClock(),
        PipelineOptions(tz=UTC, format="python_logging", detect_lines=1),
    )
    # Lines 1 and 2 are records; record 3 (with a continuation line) stays open.
    lines = container_lines([log_line(1), log_line(2), log_line(3), "  continued"])

    async def main() -> None:
        for line in lines:
            pipeline._on_line(line)
        await pipeline._commit()
        # After line 2: a crash now re-reads lines 3 and 4 (no committed record holds them).
        assert store.container_cursors() == {"abc": ContainerCursorData("web", SECOND * NS, 2)}
        assert sum(f.finding.count for f in store.findings()) == 2
        pipeline._flush_idle(force=True)  # what a stop does: the open record is complete
        await pipeline._commit()

    asyncio.run(main())
    assert store.container_cursors() == {"abc": ContainerCursorData("web", SECOND * NS, 4)}
    [finding] = store.findings()
    assert finding.finding.count == 3
    engine.dispose()


def frame(at_secs: int, text: str) -> bytes:
    stamp = datetime.fromtimestamp(at_secs, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = f"{stamp} {text}\n".encode()
    return struct.pack(">BxxxI", 1, len(payload)) + payload


class FakeEngine(DockerClient):
    """Two running containers; every log stream ends after the lines it holds (a restart)."""

    logs: ClassVar[
        dict[str, list[tuple[int, str]]]
    ] = {  # container id -> (second, text); whole-second stamps, as podman gives
        "abc": [(SECOND, "a1"), (SECOND, "a2"), (SECOND, "a3"), (SECOND + 1, "a4")],
        "def": [(SECOND, "d1"), (SECOND + 1, "d2")],
    }

    def __init__(self) -> None:
        super().__init__("/nonexistent/docker.sock")
        self.since: list[tuple[str, int | None]] = []

    async def list_running(self, labels: Sequence[str] = ()) -> list[ContainerInfo]:
        return [ContainerInfo("abc", "web"), ContainerInfo("def", "db")]

    async def is_tty(self, container_id: str) -> bool:
        return False

    @asynccontextmanager
    async def follow_logs(
        self, container_id: str, *, stdout: bool, stderr: bool, since_secs: int | None
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        self.since.append((container_id, since_secs))
        lines = [(at, t) for at, t in self.logs[container_id] if at >= (since_secs or 0)]

        async def chunks() -> AsyncIterator[bytes]:
            for at, text in lines:
                yield frame(at, text)

        yield chunks()


def test_discovery_resumes_a_running_container_from_its_stored_cursor() -> None:
    lines: list[SourceLine] = []

    async def sink(line: SourceLine) -> None:
        lines.append(line)

    async def main() -> FakeEngine:
        async with FakeEngine() as client:
            discovery = ContainerDiscovery(
                client,
                interval_secs=0.01,
                start_at=datetime.fromtimestamp(SECOND + 1, UTC),
                cursors={"abc": LogCursor(SECOND * NS, 2)},  # a1 and a2 were committed
            )
            task = asyncio.create_task(discovery.run(sink))
            await wait_for(lambda: len(client.since) >= 6)  # each stream ended and resumed twice
            task.cancel()
            await asyncio.wait([task])
            return client

    client = asyncio.run(main())
    by_source = {
        sid: [line.text for line in lines if line.source_id == sid]
        for sid in ("docker:web", "docker:db")
    }
    assert by_source == {"docker:web": ["a3", "a4"], "docker:db": ["d2"]}  # each once
    assert ("abc", SECOND) in client.since and ("def", SECOND + 1) in client.since
    web = [line for line in lines if isinstance(line, ContainerLine) and line.text.startswith("a")]
    assert [(line.container_id, line.stream, line.cursor) for line in web] == [
        ("abc", ContainerStream.STDOUT, LogCursor(SECOND * NS, 3)),
        ("abc", ContainerStream.STDOUT, LogCursor((SECOND + 1) * NS, 1)),
    ]
