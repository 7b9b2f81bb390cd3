"""CPU and memory of the live pipeline following many files at a low write rate.

    python bench/serve_many_files.py [--files 200] [--seconds 20] [--rate 20]

Creates the files in a temp folder, follows them all (inotify), appends `--rate` lines per second
spread over the files, and reports the process's CPU use as % of one core (from getrusage, over the
measured period, after start-up and after every file's format was detected) and its peak RSS.
Goal: < 5 % of one core and < 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from datetime import UTC
from pathlib import Path

from loghealth.clock import SystemClock
from loghealth.engine import Engine
from loghealth.rules.loader import load_catalog
from loghealth.runtime.pipeline import Pipeline, PipelineOptions
from loghealth.sources.tail import FileSource
from loghealth.sources.watch import FileWatcher
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.repository import Store

LINES = (
    "2024-05-01 10:00:00,000 INFO app.web: GET /api/items 200 in 12 ms\n",
    "2024-05-01 10:00:00,000 WARNING app.jobs: retrying job 17 (attempt 2)\n",
    "2024-05-01 10:00:00,000 ERROR app.db: OSError: [Errno 28] No space left on device\n",
)


def cpu_secs() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(folder: Path, files: int, seconds: float, rate: float) -> tuple[float, float, int]:
    engine = create_store_engine(f"sqlite:///{folder / 'lh.db'}")
    migrate(engine)
    pipeline = Pipeline(
        Engine(load_catalog()), Store(engine), SystemClock(), PipelineOptions(tz=UTC)
    )
    watcher = FileWatcher()
    await watcher.start()
    paths = [folder / f"svc-{i:03d}.log" for i in range(files)]
    for path in paths:
        path.write_text(LINES[0])
        pipeline.add_source(FileSource(path, watcher, SystemClock()))
    stop = asyncio.Event()
    runner = asyncio.create_task(pipeline.run(stop))
    await asyncio.sleep(1.0)
    for path in paths:  # steady state: every file has been read and its format detected
        with path.open("a") as handle:
            handle.write(LINES[1])
    await asyncio.sleep(2.0)  # start-up, detection and initial reads are not measured
    cpu0, wall0 = cpu_secs(), time.perf_counter()
    written = 0
    while time.perf_counter() - wall0 < seconds:
        path = paths[written % files]
        with path.open("a") as handle:
            handle.write(LINES[written % len(LINES)])
        written += 1
        await asyncio.sleep(1.0 / rate)
    cpu = cpu_secs() - cpu0
    wall = time.perf_counter() - wall0
    stop.set()
    await runner
    await watcher.close()
    engine.dispose()
    return cpu / wall * 100, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=20.0, help="lines per second, all files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cpu, rss, written = asyncio.run(run(Path(folder), args.files, args.seconds, args.rate))
    print(
        f"{args.files} files, {written} lines in {args.seconds:.0f} s: CPU {cpu:.1f} % of one "
        f"core (includes this process's writer), peak RSS {rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
