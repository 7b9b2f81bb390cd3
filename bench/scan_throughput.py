"""Scan throughput: loghealth's engines and --jobs against ripgrep, a naive loop and `cat`.

    python bench/scan_throughput.py --size 1GB [--jobs N] [--dir DIR] [--naive-mb 16]

Generates (once, deterministically: seed 7) a corpus of four files in a realistic mix of formats —
python_logging with tracebacks, syslog, JSON lines, nginx access — with 1-3 % problem lines taken
from the catalog's own `match` examples. Then, in this one run and on that corpus, it times:
`cat > /dev/null` (the floor), `loghealth scan` with the fast and portable engines at `--jobs 1`
and the fast engine at `--jobs N` (all parsing lazily, `runtime.lazy`), the same scan with every
record fully parsed (the reference: `ScanOptions(lazy=False)`, run through this script's
`--reference-scan` mode; `--skip-reference` leaves it out), `rg -i -c -f` over the same patterns
(`loghealth catalog export --patterns`, each wrapped as `(?-u:…)`) on one thread and on N — it
searches files in parallel, so `-j1` pairs with `--jobs 1` — and a naive Python loop over
the compiled patterns (on the first `--naive-mb` MB only: at < 1 MB/s it would take hours). It
prints MB/s, lines/s, peak RSS and ratios — with the machine's own parallel ceiling (N processes
spinning a Python loop against one; on a shared VM often well below N) — and checks that every
loghealth run reported the same findings and counts as the full parse. Every command but the
full parse runs in `--repeat` rounds (default 3), each round running each once, and keeps its
best time: a slow spell of a shared machine then slows every command alike, not one of them.

Start-up is timed on a one-line file twice: with an empty engine cache (`LOGHEALTH_CACHE_DIR`
pointed at a fresh directory; the matcher databases are compiled and saved) and with it; the
timed runs then start warm, as every scan after a user's first does.

The shipped catalog has fewer than 150 signatures; the bench adds deterministic synthetic rules
(bench only, via `--rules`) so engines and ripgrep see >= 150. Where `rg` is missing, the bench
installs Debian's `ripgrep` with apt-get (as root, or through `sudo -n`). Figures, not assertions:
not in CI.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from loghealth.rules.loader import Catalog, load_catalog

SEED = 7
TARGET_SIGNATURES = 150
PROBLEM_SHARE = (0.01, 0.03)
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMG]?)B?$", re.IGNORECASE)


def parse_size(text: str) -> int:
    found = _SIZE.match(text.strip())
    if not found:
        raise argparse.ArgumentTypeError(f"size like 200MB or 1GB, not {text!r}")
    scale = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}[found.group(2).upper()]
    return int(float(found.group(1)) * scale)


# ---------------------------------------------------------------- corpus
WORDS = ["user", "order", "cache", "worker", "request", "session", "payment", "upload", "index"]
PATHS = ["/api/v1/orders", "/login", "/static/app.js", "/health", "/api/v1/users/42", "/"]


def _python_line(rng: random.Random, ts: str) -> list[str]:
    level = rng.choices(["INFO", "DEBUG", "WARNING", "ERROR"], [70, 20, 8, 2])[0]
    logger = rng.choice(["app", "app.db", "app.http", "worker", "uvicorn.access"])
    took = rng.randrange(900)
    text = f"{rng.choice(WORDS)} {rng.choice(WORDS)} id={rng.randrange(10**6)} took {took}ms"
    lines = [f"{ts},{rng.randrange(1000):03d} - {logger} - {level} - {text}"]
    if level == "ERROR" and rng.random() < 0.3:
        lines += [
            "Traceback (most recent call last):",
            f'  File "/srv/app/{rng.choice(WORDS)}.py", line {rng.randrange(400)}, in handle',
            "    result = process(item)",
            f"ValueError: invalid {rng.choice(WORDS)} {rng.randrange(999)}",
        ]
    return lines


def _syslog_line(rng: random.Random, ts: str) -> list[str]:
    program = rng.choice(["sshd", "cron", "systemd", "kernel", "dhclient"])
    text = rng.choice(
        [
            f"Accepted publickey for deploy from 10.0.{rng.randrange(255)}.{rng.randrange(255)}",
            f"pam_unix(cron:session): session opened for user root by (uid={rng.randrange(9)})",
            f"Started Session {rng.randrange(9999)} of user deploy.",
            f"DHCPACK of 10.1.0.{rng.randrange(255)} from 10.1.0.1",
        ]
    )
    return [f"{ts} host{rng.randrange(4)} {program}[{rng.randrange(30000)}]: {text}"]


def _json_line(rng: random.Random, ts: str) -> list[str]:
    level = rng.choices(["info", "debug", "warning", "error"], [70, 20, 8, 2])[0]
    event = {
        "timestamp": ts,
        "level": level,
        "logger": rng.choice(["api", "billing", "queue"]),
        "event": f"{rng.choice(WORDS)} processed",
        "request_id": f"{rng.getrandbits(64):016x}",
        "duration_ms": rng.randrange(2000),
    }
    return [json.dumps(event)]


def _nginx_line(rng: random.Random, ts: str) -> list[str]:
    status = rng.choices([200, 304, 404, 500], [85, 8, 6, 1])[0]
    return [
        f'10.0.{rng.randrange(255)}.{rng.randrange(255)} - - [{ts}] "GET {rng.choice(PATHS)} '
        f'HTTP/1.1" {status} {rng.randrange(90000)} "-" "Mozilla/5.0 (X11; Linux x86_64)"'
    ]


FORMATS = {
    "app.log": (_python_line, "%Y-%m-%d %H:%M:%S"),
    "syslog.log": (_syslog_line, "%b %d %H:%M:%S"),
    "events.jsonl": (_json_line, "%Y-%m-%dT%H:%M:%SZ"),
    "access.log": (_nginx_line, "%d/%b/%Y:%H:%M:%S +0000"),
}


def generate(directory: Path, size_bytes: int, problems: list[str]) -> list[Path]:
    marker = directory / f".complete-{size_bytes}-{SEED}-{len(problems)}"
    paths = [directory / name for name in FORMATS]
    if marker.exists():
        return paths
    directory.mkdir(parents=True, exist_ok=True)
    for index, (name, (make, layout)) in enumerate(FORMATS.items()):
        rng = random.Random(SEED * 100 + index)
        share = rng.uniform(*PROBLEM_SHARE)
        clock = 1_767_225_600.0  # 2026-01-01T00:00:00Z
        written = 0
        with (directory / name).open("w", encoding="utf-8") as handle:
            while written < size_bytes // len(FORMATS):
                block = []
                for _ in range(1000):
                    clock += rng.random() * 0.05
                    ts = time.strftime(layout, time.gmtime(clock))
                    if rng.random() < share:
                        block.append(rng.choice(problems))
                    else:
                        block.extend(make(rng, ts))
                text = "\n".join(block) + "\n"
                handle.write(text)
                written += len(text.encode())
    marker.touch()
    return paths


def synthetic_rules(path: Path, count: int) -> None:
    rng = random.Random(SEED)
    entries = []
    for index in range(count):
        word = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))
        entries.append(
            f"  - {{id: bench-synthetic-{index:03d}, patterns: ['{word} (?:failed|aborted) "
            f"after \\d+ retries'], severity: error, category: bug, area: process, "
            f"text: {{name: synthetic {index}}}}}"
        )
    path.write_text("signatures:\n" + "\n".join(entries) + "\n")


def add_corpus_options(parser: argparse.ArgumentParser, size: str = "200MB") -> None:
    """`--size` (default `size`) and `--dir`: which corpus to generate or reuse."""
    parser.add_argument(
        "--size",
        type=parse_size,
        default=parse_size(size),
        help=f"corpus size, split over four files: 200MB, 1GB (default: {size})",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "loghealth-bench",
        help="where the corpus is generated once and kept (default: %(default)s)",
    )


def prepare_corpus(directory: Path, size: int) -> tuple[Catalog, list[str], list[Path], Path]:
    """The shipped catalog, its `match` examples (the problem lines), the corpus files of `size`
    bytes under `directory` (generated once) and the bench's synthetic rules file."""
    catalog = load_catalog()
    problems = [
        line for s in catalog.signatures if s.spec.examples for line in s.spec.examples.match
    ]
    paths = generate(directory / f"{size}", size, problems)
    rules = directory / "synthetic-rules.yaml"
    synthetic_rules(rules, max(0, TARGET_SIGNATURES - len(catalog.signatures)))
    return catalog, problems, paths, rules


def ripgrep_patterns(directory: Path, rules: Path) -> tuple[Path, list[str]]:
    """The file of the catalog's and `rules`' patterns for `rg -f`, each as `(?-u:…)`, and the
    patterns as `loghealth catalog export --patterns` gave them."""
    exported = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "loghealth", "catalog", "export", "--patterns", "--rules",
         str(rules)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()  # fmt: skip
    patterns_file = directory / "patterns.txt"
    patterns_file.write_text("".join(f"(?-u:{p})\n" for p in exported))
    return patterns_file, exported


def ensure_ripgrep() -> str | None:
    """The `rg` on PATH; if there is none, install Debian's `ripgrep` with apt-get (as root, or
    through `sudo -n`) and look again. None when that is not possible (the caller says so)."""
    found = shutil.which("rg")
    if found or shutil.which("apt-get") is None:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    print("ripgrep not found: apt-get install -y ripgrep …", file=sys.stderr)
    subprocess.run(  # noqa: S603
        [*sudo, "apt-get", "install", "-y", "-q", "ripgrep"],
        stdout=subprocess.DEVNULL,
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("rg")


# ---------------------------------------------------------------- runs
@dataclass
class Run:
    label: str
    seconds: float
    size_bytes: int
    lines: int
    peak_rss_mb: float
    output: str = ""

    @property
    def mb_per_s(self) -> float:
        return self.size_bytes / 1e6 / self.seconds


def run_command(label: str, argv: list[str], size: int, lines: int, stdout: int | None) -> Run:
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL)  # noqa: S603
    output = process.stdout.read().decode() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{label}: exit {process.returncode}: {' '.join(argv)}")
    return Run(label, seconds, size, lines, usage.ru_maxrss / 1024, output)


def _spin(_: int) -> float:
    started = time.perf_counter()
    total = 0
    for number in range(20_000_000):
        total += number
    return time.perf_counter() - started


def parallel_ceiling(jobs: int) -> float:
    """How much more CPU-bound Python work `jobs` processes do than one, on this machine now.

    A VM's vCPUs may share physical cores or be taken by neighbours: `--jobs N` cannot beat this.
    """
    from concurrent.futures import ProcessPoolExecutor

    alone = _spin(0)
    with ProcessPoolExecutor(jobs) as pool:
        started = time.perf_counter()
        list(pool.map(_spin, range(jobs)))
        together = time.perf_counter() - started
    return jobs * alone / together


def naive_loop(paths: list[Path], patterns: list[str], limit_bytes: int) -> Run:
    import resource

    compiled = [re.compile(p, re.IGNORECASE) for p in patterns]
    started = time.perf_counter()
    size = lines = hits = 0
    for path in paths:
        file_bytes = 0
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                file_bytes += len(line)
                lines += 1
                hits += any(regex.search(line) for regex in compiled)
                if file_bytes >= limit_bytes // len(paths):
                    break
        size += file_bytes
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Run(f"naive Python loop (first {limit_bytes / 1e6:.0f} MB)", seconds, size, lines, rss)


def reference_scan(rules: Path, paths: list[str]) -> None:
    """Print the JSON report `loghealth scan … -o json --jobs 1` gives with every record parsed."""
    from datetime import UTC

    from loghealth.clock import SystemClock
    from loghealth.engine import Engine, Redactor
    from loghealth.report.document import scan_document
    from loghealth.runtime import ScanOptions, scan_inputs
    from loghealth.sources import discover_inputs

    catalog = load_catalog(None, [rules])
    engine = Engine(catalog, Redactor((), catalog.redact_patterns()), "fast")
    options = ScanOptions(tz=UTC, now=SystemClock().now(), lazy=False)
    result = scan_inputs(discover_inputs(paths, (), ()), engine, options, None, 1)
    print(json.dumps(scan_document(result, catalog, "en"), indent=2, ensure_ascii=False))


def main() -> None:
    if sys.argv[1:2] == ["--reference-scan"]:
        reference_scan(Path(sys.argv[2]), sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_corpus_options(parser)
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for the --jobs N runs and rg -jN (default: CPU count)",
    )
    parser.add_argument(
        "--naive-mb",
        type=float,
        default=16,
        help="MB the naive loop reads, split across the files (default: 16)",
    )
    parser.add_argument(
        "--skip-portable", action="store_true", help="leave out the portable engine's run"
    )
    parser.add_argument(
        "--skip-reference",
        action="store_true",
        help="leave out the full parse (the reference the findings are checked "
        "against; it is the slowest run)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds; each command keeps its best time (default: 3)",
    )
    args = parser.parse_args()

    catalog, problems, paths, rules = prepare_corpus(args.dir, args.size)
    size = sum(p.stat().st_size for p in paths)
    lines = sum(1 for p in paths for _ in p.open("rb"))
    loghealth = [sys.executable, "-m", "loghealth"]
    patterns_file, exported = ripgrep_patterns(args.dir, rules)
    signatures = len(catalog.signatures) + len(load_catalog([], [rules]).signatures)
    print(f"corpus: {len(paths)} files, {size / 1e6:,.0f} MB, {lines:,} lines in {args.dir}")
    print(
        f"catalog: {signatures} signatures ({len(exported)} patterns; bench-only synthetic rules "
        f"added to reach {TARGET_SIGNATURES})"
    )

    # byte-compile loghealth as `pip install` does: with PYTHONDONTWRITEBYTECODE set, every timed
    # run would otherwise compile its sources again
    compileall.compile_dir(Path(sys.modules["loghealth"].__file__ or ".").parent, quiet=1)
    scan = [*loghealth, "scan", *map(str, paths), "--rules", str(rules), "-o", "json",
            "--timezone", "UTC", "--fail-on", "none"]  # fmt: skip
    cache = args.dir / "engine-cache"
    shutil.rmtree(cache, ignore_errors=True)
    os.environ["LOGHEALTH_CACHE_DIR"] = str(cache)  # a fresh cache, so the cold start is real
    tiny = args.dir / "one-line.log"
    tiny.write_text(problems[0] + "\n")
    start = [*loghealth, "scan", str(tiny), "--rules", str(rules), "-o", "json", "--fail-on",
             "none", "--engine", "fast"]  # fmt: skip
    cold = run_command("start-up, cold cache", start, 1, 1, subprocess.PIPE)
    warm = min((run_command("start-up, warm cache", start, 1, 1, subprocess.PIPE)
                for _ in range(args.repeat)), key=lambda r: r.seconds)  # fmt: skip
    print(
        f"start-up (a one-line file): {cold.seconds:.2f} s with an empty engine cache (compiles "
        f"and caches the matcher databases), {warm.seconds:.2f} s with it (every run below)"
    )
    commands: list[tuple[str, list[str], int | None]] = [
        ("cat > /dev/null", ["cat", *map(str, paths)], subprocess.DEVNULL),
        ("loghealth fast --jobs 1", [*scan, "--engine", "fast", "--jobs", "1"], subprocess.PIPE),
        (f"loghealth fast --jobs {args.jobs}", [*scan, "--engine", "fast", "--jobs",
                                                str(args.jobs)], subprocess.PIPE),
        *([] if args.skip_portable else [("loghealth portable --jobs 1", [*scan, "--engine",
                                          "portable", "--jobs", "1"], subprocess.PIPE)]),
    ]  # fmt: skip
    rg = ensure_ripgrep()
    rg_one, rg_many = "rg -j1 -i -c -f (?-u:…)", f"rg -j{args.jobs} -i -c -f (?-u:…)"
    if rg:
        # ripgrep searches files in parallel: one thread is the pairing for `--jobs 1`
        for label, threads in [(rg_one, 1), (rg_many, args.jobs)]:
            commands.append((label, [rg, f"-j{threads}", "-i", "-c", "-f", str(patterns_file),
                                     *map(str, paths)], subprocess.DEVNULL))  # fmt: skip
    else:
        print("ripgrep not found and not installable here (apt-get install ripgrep): skipped")
    patterns = [p for s in catalog.signatures for p in s.spec.patterns]
    patterns += [p for s in load_catalog([], [rules]).signatures for p in s.spec.patterns]
    run_command("warm the page cache", ["cat", *map(str, paths)], size, lines, subprocess.DEVNULL)
    # Rounds, each running every command once: a slow spell of a shared machine then slows
    # every command alike, and each keeps its best time
    timed: dict[str, list[Run]] = {}
    ceilings: list[float] = []
    for round_number in range(1, args.repeat + 1):
        print(f"round {round_number} of {args.repeat} …", file=sys.stderr)
        for label, argv, stdout in commands:
            timed.setdefault(label, []).append(run_command(label, argv, size, lines, stdout))
        timed.setdefault("naive", []).append(naive_loop(paths, patterns, int(args.naive_mb * 1e6)))
        ceilings.append(parallel_ceiling(args.jobs))
    if not args.skip_reference:
        reference = [sys.executable, __file__, "--reference-scan", str(rules), *map(str, paths)]
        timed["reference"] = [run_command("loghealth fast --jobs 1, full parse (reference)",
                                          reference, size, lines, subprocess.PIPE)]  # fmt: skip
    best = {key: min(every, key=lambda r: r.seconds) for key, every in timed.items()}
    slowest = {key: max(every, key=lambda r: r.seconds) for key, every in timed.items()}
    every_run = [r for every in timed.values() for r in every]
    reports = [json.loads(r.output) for r in every_run if r.label.startswith("loghealth")]
    for report in reports:
        report.pop("errors", None)
    same = all(r == reports[0] for r in reports)
    by_label = {r.label: r for r in best.values()}
    naive = best["naive"]
    print(f"\nbest of {args.repeat} rounds (seconds: best, slowest), the full parse once\n")
    print("| run | MB/s | lines/s | peak RSS MB | x naive loop | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, r in best.items():
        print(f"| {r.label} | {r.mb_per_s:,.1f} | {r.lines / r.seconds:,.0f} | "
              f"{r.peak_rss_mb:,.0f} | {r.mb_per_s / naive.mb_per_s:,.1f} | "
              f"{r.seconds:.2f}, {slowest[key].seconds:.2f} |")  # fmt: skip
    one = by_label["loghealth fast --jobs 1"]
    ratios = {f"fast --jobs {args.jobs} / fast --jobs 1": by_label[
        f"loghealth fast --jobs {args.jobs}"].mb_per_s / one.mb_per_s}  # fmt: skip
    ceiling = f"{args.jobs} spinning processes / one, median of rounds"
    ratios[f"machine ceiling: {ceiling}"] = statistics.median(ceilings)
    if rg:
        ratios["fast --jobs 1 / ripgrep -j1"] = one.mb_per_s / by_label[rg_one].mb_per_s
        ratios[f"fast --jobs {args.jobs} / ripgrep -j{args.jobs}"] = (
            by_label[f"loghealth fast --jobs {args.jobs}"].mb_per_s / by_label[rg_many].mb_per_s
        )
    if "loghealth portable --jobs 1" in by_label:
        ratios["portable / naive loop"] = (
            by_label["loghealth portable --jobs 1"].mb_per_s / naive.mb_per_s
        )
    ratios["fast --jobs 1 / naive loop"] = one.mb_per_s / naive.mb_per_s
    full = by_label.get("loghealth fast --jobs 1, full parse (reference)")
    if full is not None:
        ratios["fast --jobs 1 / full parse"] = one.mb_per_s / full.mb_per_s
    ratios["fast --jobs 1 / cat floor"] = one.mb_per_s / by_label["cat > /dev/null"].mb_per_s
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}x")
    print(
        f"findings and counts identical across loghealth runs (and the full parse): {same} "
        f"({len(reports[0]['findings'])} findings, {reports[0]['scanned_records']:,} records)"
    )
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
