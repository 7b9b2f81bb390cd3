"""The live pipeline on real files: tail, every rotation kind, restart-resume, store, event bus."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path

import pytest

from loghealth.clock import SystemClock
from loghealth.engine import Engine
from loghealth.engine.lifecycle import EventKind
from loghealth.rules.loader import load_catalog
from loghealth.runtime.pipeline import Pipeline, PipelineOptions
from loghealth.runtime.reload import RuleReloader
from loghealth.sources.tail import FileSource, StartPosition
from loghealth.sources.watch import FileWatcher
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.repository import Store
from tests.rules import BOOM_RULES


def line(n: int, text: str = "BOOM") -> str:
    return f"2024-05-01 10:00:{n % 60:02d},000 ERROR app: {text} {n}\n"


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def boom_count(store: Store) -> int:
    findings = store.findings()
    return sum(f.finding.count for f in findings if f.finding.signature_id == "boom")


Scenario = Callable[[Path, Store, Pipeline], Awaitable[None]]


def run_pipeline(
    tmp_path: Path,
    log: Path,
    scenario: Scenario,
    url: str | None = None,
    rules_text: str = BOOM_RULES,
) -> Store:
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_text)
    engine = create_store_engine(url or f"sqlite:///{tmp_path / 'lh.db'}")
    migrate(engine)
    store = Store(engine)

    async def main() -> None:
        watcher = FileWatcher()
        await watcher.start()
        pipeline = Pipeline(
            Engine(load_catalog([], [rules])),
            store,
            SystemClock(),
            PipelineOptions(tz=UTC, detect_lines=1, sweep_secs=3600),
        )
        checkpoint = store.checkpoints().get(f"file:{log}")
        start = (
            StartPosition(
                checkpoint.device, checkpoint.inode, checkpoint.offset, checkpoint.line_no
            )
            if checkpoint
            else None
        )
        pipeline.add_source(FileSource(log, watcher, SystemClock(), start, poll_secs=0.2))
        stop = asyncio.Event()
        runner = asyncio.create_task(pipeline.run(stop))
        try:
            await scenario(log, store, pipeline)
        finally:
            stop.set()
            await runner
            await watcher.close()

    asyncio.run(main())
    return store


def append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)


def test_appended_lines_become_a_finding_and_an_event(tmp_path: Path, database_url: str) -> None:
    log = tmp_path / "app.log"
    log.write_text(line(1))

    async def scenario(log: Path, store: Store, pipeline: Pipeline) -> None:
        events = pipeline.bus.subscribe()
        append(log, line(2))
        kinds, count = [], 0
        while count < 2:  # line 1 may be committed before we subscribed: opened or updated
            event = await asyncio.wait_for(events.get(), 5)
            kinds.append(event.kind)
            count = event.finding.finding.count
        assert set(kinds) <= {EventKind.OPENED, EventKind.UPDATED}
        assert kinds[-1] is EventKind.UPDATED or kinds == [EventKind.OPENED]

    store = run_pipeline(tmp_path, log, scenario, database_url)
    [finding] = store.findings()
    assert finding.finding.count == 2 and finding.finding.source == f"file:{log}"
    store.engine.dispose()


@pytest.mark.parametrize("rotation", ["rename", "copytruncate", "delete_recreate"])
def test_rotation_loses_nothing(tmp_path: Path, rotation: str) -> None:
    log = tmp_path / "app.log"
    log.write_text(line(1) + line(2))

    async def scenario(log: Path, store: Store, pipeline: Pipeline) -> None:
        await wait_for(lambda: boom_count(store) == 2)
        append(log, line(3))  # written just before rotating
        if rotation == "rename":
            log.rename(tmp_path / "app.log.1")
            log.write_text(line(4))
        elif rotation == "copytruncate":
            await wait_for(lambda: boom_count(store) == 3)
            (tmp_path / "app.log.1").write_bytes(log.read_bytes())
            with log.open("r+") as handle:
                handle.truncate(0)
            append(log, line(4))
        else:
            await wait_for(lambda: boom_count(store) == 3)
            log.unlink()
            await asyncio.sleep(0.1)
            log.write_text(line(4))
        append(log, line(5))
        await wait_for(lambda: boom_count(store) == 5)

    store = run_pipeline(tmp_path, log, scenario)
    assert boom_count(store) == 5


def test_partial_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("")

    async def scenario(log: Path, store: Store, pipeline: Pipeline) -> None:
        append(log, line(1).rstrip("\n"))
        await asyncio.sleep(0.3)
        assert boom_count(store) == 0
        append(log, "\n")
        await wait_for(lambda: boom_count(store) == 1)

    run_pipeline(tmp_path, log, scenario)


def test_restart_resumes_without_loss_or_double_count(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(line(1) + line(2) + line(3))

    async def first(log: Path, store: Store, pipeline: Pipeline) -> None:
        await wait_for(lambda: boom_count(store) == 3)

    run_pipeline(tmp_path, log, first)
    append(log, line(4))  # written while stopped
    os.rename(log, tmp_path / "app.log.1")  # and rotated while stopped
    log.write_text(line(5))

    async def second(log: Path, store: Store, pipeline: Pipeline) -> None:
        await wait_for(lambda: boom_count(store) >= 5)
        await asyncio.sleep(0.2)

    store = run_pipeline(tmp_path, log, second)
    assert boom_count(store) == 5
    checkpoint = store.checkpoints()[f"file:{log}"]
    assert checkpoint.offset == log.stat().st_size


def test_traceback_is_one_record_in_a_live_file(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    traceback = (
        "2024-05-01 10:00:00,000 ERROR app: request failed\n"
        "Traceback (most recent call last):\n"
        '  File "app.py", line 1, in handler\n'
        "RuntimeError: BOOM 7\n"
    )

    async def scenario(log: Path, store: Store, pipeline: Pipeline) -> None:
        append(log, traceback)
        await wait_for(lambda: boom_count(store) == 1)

    store = run_pipeline(tmp_path, log, scenario)
    [finding] = store.findings()
    assert finding.finding.sample == "request failed"


def test_a_user_rules_search_out_of_time_is_a_drop(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    slow = "  - {id: slow, patterns: ['(a|aa)*c'], severity: error, category: bug, area: process}\n"

    async def scenario(log: Path, store: Store, pipeline: Pipeline) -> None:
        append(log, line(1, "a" * 40 + "b c") + line(2))  # 57 s for `re` on the first
        await wait_for(lambda: boom_count(store) == 1)
        assert pipeline.gate.drops == {"search_timeout": 1}

    run_pipeline(tmp_path, log, scenario, rules_text=BOOM_RULES + slow)


def test_rules_hot_reload_with_a_broken_rule(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    rules = tmp_path / "rules.yaml"
    rules.write_text(BOOM_RULES)
    engine = create_store_engine(f"sqlite:///{tmp_path / 'lh.db'}")
    migrate(engine)
    store = Store(engine)
    reloader = RuleReloader([rules], lambda: Engine(load_catalog([], [rules])))

    async def main() -> None:
        watcher = FileWatcher()
        await watcher.start()
        pipeline = Pipeline(
            Engine(load_catalog([], [rules])),
            store,
            SystemClock(),
            PipelineOptions(tz=UTC, detect_lines=1, stats_secs=0.1),
            reloader=reloader,
        )
        pipeline.add_source(FileSource(log, watcher, SystemClock(), poll_secs=0.2))
        stop = asyncio.Event()
        runner = asyncio.create_task(pipeline.run(stop))
        try:
            append(log, line(1, "ZAP"))
            await asyncio.sleep(0.3)
            assert store.findings() == []
            rules.write_text(
                BOOM_RULES + "  - {id: zap, patterns: ['ZAP'], severity: warning, "
                "category: bug, area: process}\n"
                "  - {id: broken, patterns: ['('], severity: warning, "
                "category: bug, area: process}\n"
            )
            await wait_for(lambda: reloader.reloads == 1)
            assert any("broken" in e for e in pipeline.engine.errors)
            append(log, line(2, "ZAP"))
            await wait_for(lambda: [f.finding.signature_id for f in store.findings()] == ["zap"])
        finally:
            stop.set()
            await runner
            await watcher.close()

    asyncio.run(main())
