"""Parse throughput: lines/s of single parsers and of the `generic` per-line chain.

    python bench/parse_throughput.py [--lines 2000] [--repeat 3] [--min-secs 0.15] [--data DIR]

Each case is a parser and a fixed list of lines: the generated lines of bench/scan_throughput.py
(python_logging with tracebacks, BSD syslog, JSON lines, nginx access), generated Smarty lines,
lines `python_logging` cannot parse (traceback lines and other formats), a shuffled mix of all of
them and the catalog's `match` examples through `generic`, and with `--data DIR` the Loghub
samples (`DIR/loghub/*/*_2k.log`, e.g. /work/shared/data) through `generic`. A case is timed as
the best of `--repeat` runs, each over the list as many times as fill `--min-secs`, with a fresh
parser per run; the baseline is a plain `line.split()` loop over the same lines timed the same
way, so the `× split` column compares machines and loads. Figures, not assertions: not in CI.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scan_throughput import FORMATS

from loghealth.parsing import ParseContext, Parser, create_parser
from loghealth.rules.loader import load_catalog

SEED = 7
CTX = ParseContext(tz=UTC, now=datetime(2026, 6, 1, tzinfo=UTC), source="bench")
_MISSES = [
    "Traceback (most recent call last):",
    '  File "/srv/app/worker.py", line 118, in handle',
    "    result = process(item)",
    "ValueError: invalid order 17",
    "During handling of the above exception, another exception occurred:",
]


def generated(name: str, count: int) -> list[str]:
    """`count` lines of one of scan_throughput's formats (`app.log`, `syslog.log`, ...)."""
    make, layout = FORMATS[name]
    rng = random.Random(SEED)
    clock = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    lines: list[str] = []
    while len(lines) < count:
        clock += rng.random() * 0.05
        lines.extend(make(rng, time.strftime(layout, time.gmtime(clock))))
    return lines[:count]


def smarty_lines(count: int) -> list[str]:
    rng = random.Random(SEED)
    events = ["LOGIN_SUCCESS", "LOGIN_ERROR", "EPG_SYNC", "STREAM_START"]
    values = ["'127.0.0.1'", "42", "None", "True", "['foo', 'bar']", "{'client_id': 5}", "'x y'"]
    lines = []
    for index in range(count):
        context = " ".join(
            f"'{key}'={rng.choice(values)}" for key in rng.sample(["ip", "id", "args", "uid"], 3)
        )
        lines.append(
            f"Fri Mar 24 10:{index % 60:02d}:35+0300 2017 {rng.choice(['DEBUG', 'ERROR'])} "
            f"api:{rng.randrange(900)} get[83630.Thread-3] {rng.choice(events)} {context}"
        )
    return lines


def catalog_lines() -> list[str]:
    return [
        line
        for signature in load_catalog().signatures
        if signature.spec.examples
        for line in signature.spec.examples.match
    ]


def loghub_lines(data: Path, count: int) -> list[str]:
    lines: list[str] = []
    for path in sorted(data.glob("loghub/*/*_2k.log")):
        lines += path.read_text(encoding="utf-8", errors="replace").splitlines()[: count // 8]
    return lines


@dataclass
class Case:
    label: str
    parser: str
    lines: list[str]


def build_cases(count: int, data: Path | None) -> list[Case]:
    python = generated("app.log", count)
    syslog = generated("syslog.log", count)
    json_lines = generated("events.jsonl", count)
    access = generated("access.log", count)
    smarty = smarty_lines(count)
    misses = (_MISSES * count)[: count // 2] + (syslog[: count // 4] + access[: count // 4])
    mixed = python + syslog + json_lines + access + smarty
    random.Random(SEED).shuffle(mixed)
    cases = [
        Case("python_logging", "python_logging", python),
        Case("python_logging misses", "python_logging", misses),
        Case("syslog", "syslog_rfc3164", syslog),
        Case("json lines", "json_lines", json_lines),
        Case("access log", "clf", access),
        Case("smarty", "smarty", smarty),
        Case("mixed formats", "generic", mixed[:count]),
        Case("catalog examples", "generic", catalog_lines()),
    ]
    if data is not None:
        cases.append(Case("loghub", "generic", loghub_lines(data, count)))
    return cases


def best_rate(run: Callable[[], object], lines: int, repeat: int, min_secs: float) -> float:
    """Lines per second: the best of `repeat` runs, each repeating `run` for >= `min_secs`."""
    best = float("inf")
    for _ in range(repeat):
        rounds = 0
        started = time.perf_counter()
        while True:
            run()
            rounds += 1
            elapsed = time.perf_counter() - started
            if elapsed >= min_secs:
                break
        best = min(best, elapsed / rounds)
    return lines / best


def parse_all(parser: Parser, lines: list[str]) -> int:
    parse = parser.parse
    return sum(1 for line in lines if parse(line, CTX) is not None)


def split_all(lines: list[str]) -> int:
    return sum(len(line.split()) for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2000, help="lines per case (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case, best kept")
    parser.add_argument("--min-secs", type=float, default=0.15, help="minimum seconds per run")
    parser.add_argument("--data", type=Path, help="shared data folder (adds the Loghub case)")
    args = parser.parse_args()

    print("| case | parser | lines | parsed | lines/s | µs/line | split lines/s | × split |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    total_lines = 0
    total_secs = 0.0
    for case in build_cases(args.lines, args.data):
        count = len(case.lines)
        parsed = parse_all(create_parser(case.parser), case.lines)

        def one_run(case: Case = case) -> int:
            return parse_all(create_parser(case.parser), case.lines)

        rate = best_rate(one_run, count, args.repeat, args.min_secs)
        split = best_rate(lambda case=case: split_all(case.lines), count, args.repeat, 0.05)
        total_lines += count
        total_secs += count / rate
        print(
            f"| {case.label} | {case.parser} | {count} | {parsed / count:.0%} | {rate:,.0f} "
            f"| {1e6 / rate:.2f} | {split:,.0f} | {split / rate:.1f} |"
        )
    print(f"\noverall: {total_lines / total_secs:,.0f} lines/s over {total_lines} lines")


if __name__ == "__main__":
    main()
