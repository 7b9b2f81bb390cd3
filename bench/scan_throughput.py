"""Scan throughput against the floor (reading and splitting lines), measured in the same run.

    python bench/scan_throughput.py [PATH ...]      (default: ../shared/data/loghub)

Prints MB/s and lines/s for: reading lines only (the floor), parsing only, and the full scan
(parse + match + aggregate), with the full scan's ratio to the floor. Figures, not assertions:
speed targets are judged on these ratios, never in timed unit tests.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

from loghealth.clock import SystemClock
from loghealth.engine import Engine
from loghealth.rules.loader import load_catalog
from loghealth.runtime import ScanOptions, scan_inputs
from loghealth.runtime.scan import iter_source_records
from loghealth.sources import FileInput, discover_inputs, read_lines

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "loghub"
REPEATS = 3


def best_of(run: Callable[[], int]) -> tuple[float, int]:
    timings = []
    count = 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        count = run()
        timings.append(time.perf_counter() - started)
    return min(timings), count


def main() -> None:
    paths = sys.argv[1:] or [str(DEFAULT)]
    inputs: list[FileInput] = discover_inputs(paths)
    size_mb = sum(i.size_bytes for i in inputs) / 1e6
    options = ScanOptions(tz=UTC, now=SystemClock().now())
    catalog = load_catalog()

    def read_only() -> int:
        return sum(1 for source in inputs for _ in read_lines(source))

    def parse_only() -> int:
        return sum(1 for source in inputs for _ in iter_source_records(source, options)[1])

    def full_scan() -> int:
        return scan_inputs(inputs, Engine(catalog), options).records

    print(f"{len(inputs)} files, {size_mb:.1f} MB, {len(catalog.signatures)} signatures")
    floor, lines = best_of(read_only)
    for label, run in (("read lines", read_only), ("parse", parse_only), ("full scan", full_scan)):
        seconds, count = best_of(run)
        print(
            f"{label:>10}: {size_mb / seconds:7.1f} MB/s  {count / seconds:10,.0f} items/s  "
            f"{seconds / floor:5.1f}x the read floor"
        )
    print(f"({lines:,} lines; best of {REPEATS})")


if __name__ == "__main__":
    main()
