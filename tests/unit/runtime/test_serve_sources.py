"""`run_serve` with network sources: syslog over UDP and TCP into findings, real pipeline."""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from loghealth.clock import SystemClock
from loghealth.runtime.pipeline import Pipeline
from loghealth.runtime.serve import run_serve
from loghealth.settings import FileSourceSettings, Settings, SyslogSourceSettings
from loghealth.store.migrate import create_store_engine
from loghealth.store.repository import Store


@pytest.mark.parametrize("protocol", ["udp", "tcp"])
def test_syslog_messages_become_findings(tmp_path: Path, protocol: str) -> None:
    settings = Settings(
        data_dir=tmp_path, sources=[SyslogSourceSettings(protocol=protocol, port=0)]
    )
    ready: list[Pipeline] = []

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run_serve(settings, SystemClock(), stop, on_ready=ready.append))
        while not ready:
            await asyncio.sleep(0.01)
        [source] = ready[0].sources.values()
        port = int(source.id.rsplit(":", 1)[1])
        kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
        handler = logging.handlers.SysLogHandler(("127.0.0.1", port), socktype=kind)
        handler.setFormatter(logging.Formatter("app[42]: %(message)s"))
        logger = logging.getLogger(f"loghealth-test-{protocol}")
        logger.addHandler(handler)
        try:
            logger.error("OSError: [Errno 28] No space left on device")
            deadline = time.monotonic() + 5
            store = Store(create_store_engine(settings.effective_database_url()))
            while not store.findings():
                assert time.monotonic() < deadline, "no finding from syslog"
                await asyncio.sleep(0.05)
            [finding] = store.findings()
            assert finding.finding.signature_id == "disk-full"
            assert finding.finding.source == source.id
            store.engine.dispose()
        finally:
            logger.removeHandler(handler)
            handler.close()
            stop.set()
            await task

    asyncio.run(main())


def test_a_stopped_file_source_stays_stopped_until_added_again(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text("2024-05-01 10:00:00,000 INFO app: hello\n")
    settings = Settings(
        data_dir=tmp_path, sources=[FileSourceSettings(paths=[str(logs)], rescan_secs=0.05)]
    )
    source_id = f"file:{logs / 'a.log'}"
    seen: list[bool] = []

    async def service(pipeline: Pipeline, sources: Any, stop: asyncio.Event) -> None:
        seen.append(source_id in pipeline.sources)
        assert sources.remove(source_id)
        await asyncio.sleep(0.3)  # six rescans of the directory
        seen.append(source_id in pipeline.sources)
        assert sources.add_path(str(logs / "a.log")) == [source_id]
        seen.append(source_id in pipeline.sources)
        stop.set()

    async def main() -> None:
        await asyncio.wait_for(
            run_serve(settings, SystemClock(), asyncio.Event(), services=[service]), 10
        )

    asyncio.run(main())
    assert seen == [True, False, True]
