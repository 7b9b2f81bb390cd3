"""Sustained ingest through one file source, full catalog, SQLite store.

    python bench/serve_ingest.py [--lines 200000] [--problem-every 50]

Writes a log (python_logging lines, one problem line every `--problem-every`), then follows it from
the beginning and reports records/s until every record is processed and its hits are committed.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC
from pathlib import Path

from loghealth.clock import SystemClock
from loghealth.engine import Engine
from loghealth.engine.live import RateLimit
from loghealth.rules.loader import load_catalog
from loghealth.runtime.pipeline import Pipeline, PipelineOptions
from loghealth.sources.tail import FileSource
from loghealth.sources.watch import FileWatcher
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.repository import Store

NORMAL = "2024-05-01 10:00:{s:02d},000 INFO app.web: GET /api/items/{n} 200 in 12 ms\n"
PROBLEM = "2024-05-01 10:00:{s:02d},000 ERROR app.db: OSError: [Errno 28] No space left on device\n"


async def ingest(folder: Path, lines: int, every: int) -> tuple[float, int, int]:
    log = folder / "app.log"
    with log.open("w") as handle:
        for n in range(lines):
            template = PROBLEM if n % every == every - 1 else NORMAL
            handle.write(template.format(s=n % 60, n=n))
    engine = create_store_engine(f"sqlite:///{folder / 'lh.db'}")
    migrate(engine)
    store = Store(engine)
    pipeline = Pipeline(
        Engine(load_catalog()),
        store,
        SystemClock(),
        PipelineOptions(tz=UTC, rate_limit=RateLimit(burst=0)),
    )
    watcher = FileWatcher()
    await watcher.start()
    started = time.perf_counter()
    source = FileSource(log, watcher, SystemClock())
    pipeline.add_source(source)
    stop = asyncio.Event()
    runner = asyncio.create_task(pipeline.run(stop))
    while source.stats.lines_read < lines or pipeline._queue.qsize():
        await asyncio.sleep(0.05)
    stop.set()
    await runner
    elapsed = time.perf_counter() - started
    await watcher.close()
    counted = sum(f.finding.count for f in store.findings())
    engine.dispose()
    return elapsed, lines, counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--problem-every", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        elapsed, lines, counted = asyncio.run(ingest(Path(folder), args.lines, args.problem_every))
    print(
        f"{lines:,} records in {elapsed:.1f} s: {lines / elapsed:,.0f} records/s committed "
        f"({counted:,} hits counted, expected {lines // args.problem_every:,})"
    )


if __name__ == "__main__":
    main()
