"""Latency from a line appended to a watched file to its finding committed in the store.

    python bench/serve_latency.py [--appends 1000] [--rate 100]

Runs the real pipeline (file source + inotify, framing, engine, SQLite store in a temp folder) in
this process, appends one matching line at a time, and takes the time of the bus event that
follows the commit that counted it. Prints p50/p90/p99/max in ms; the goal is p99 <= 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
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

LINE = "2024-05-01 10:00:00,000 ERROR app: OSError: [Errno 28] No space left on device ({n})\n"


async def measure(folder: Path, appends: int, rate: float) -> list[float]:
    engine = create_store_engine(f"sqlite:///{folder / 'lh.db'}")
    migrate(engine)
    pipeline = Pipeline(
        Engine(load_catalog()),
        Store(engine),
        SystemClock(),
        PipelineOptions(tz=UTC, detect_lines=1, rate_limit=RateLimit(burst=0)),
    )
    watcher = FileWatcher()
    await watcher.start()
    log = folder / "app.log"
    log.write_text("")
    pipeline.add_source(FileSource(log, watcher, SystemClock()))
    events = pipeline.bus.subscribe(maxsize=appends * 2)
    stop = asyncio.Event()
    runner = asyncio.create_task(pipeline.run(stop))
    written: dict[int, float] = {}
    latencies: list[float] = []
    seen = 0
    with log.open("a") as handle:
        for n in range(1, appends + 1):
            written[n] = time.perf_counter()
            handle.write(LINE.format(n=n))
            handle.flush()
            deadline = time.perf_counter() + 1.0 / rate
            while seen < n and time.perf_counter() < deadline + 1.0:
                try:
                    event = await asyncio.wait_for(events.get(), 1.0)
                except TimeoutError:
                    break
                arrived = time.perf_counter()
                for count in range(seen + 1, event.finding.finding.count + 1):
                    latencies.append((arrived - written[count]) * 1000)
                seen = event.finding.finding.count
            await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
    stop.set()
    await runner
    await watcher.close()
    engine.dispose()
    print(f"inotify: {watcher.uses_inotify}; committed batches: {pipeline.committed_batches}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="appends per second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        latencies = asyncio.run(measure(Path(folder), args.appends, args.rate))
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    print(f"{len(ordered)} of {args.appends} appends measured")
    print(
        f"p50 {statistics.median(ordered):.1f} ms  p90 {pct(90):.1f} ms  p99 {pct(99):.1f} ms  "
        f"max {ordered[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
