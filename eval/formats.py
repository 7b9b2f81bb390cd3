"""Parser accuracy on real third-party logs (`../shared/data`), printed as tables.

    python eval/formats.py [--data DIR] [--strict]

1. Loghub (8 systems x 2,000 lines): our records against the structured CSVs — record count,
   timestamp, level (systems that have one), component/logger and exact message (`Content`).
   Goal: level and timestamp >= 99 % on every system that has them, exact message >= 95 %.
2. lnav test logs: the detected format is in the same family as lnav's expectation (goal >= 90 %),
   and levels/timestamps agree where the expectations list them.
3. lnav format samples: every sample line parses, with its format's level where one is given.

Figures, not assertions: exits 0 unless `--strict` is given and a goal is missed (or the data is
malformed). Reads the data in place; nothing is copied.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from loghealth.model import Level, LogRecord
from loghealth.parsing import ParseContext, parse_lines
from loghealth.parsing.levels import level_from_word
from loghealth.runtime import ScanOptions
from loghealth.runtime.scan import iter_source_records
from loghealth.sources import FileInput

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
OPTIONS = ScanOptions(tz=UTC, now=NOW)
GOAL_LEVEL = GOAL_TIME = 0.99
GOAL_MESSAGE = 0.95
GOAL_LNAV_FAMILY = 0.90

# --------------------------------------------------------------------------- loghub

# Loghub's CSV columns are not uniform: Linux's "Level" column holds the host name, OpenSSH's
# "Component" holds the host, Zookeeper's "Component" is "<thread tail>:<class>" (split at the
# first colon). These say which of our attributes each system's label corresponds to.
_NO_LEVEL = {"Linux", "OpenSSH"}


@dataclass
class Tally:
    """Counts for one system."""

    system: str
    expected: int = 0
    records: int = 0
    time_ok: int = 0
    time_total: int = 0
    level_ok: int = 0
    level_total: int = 0
    component_ok: int = 0
    component_total: int = 0
    message_ok: int = 0
    misses: dict[str, list[str]] = field(default_factory=dict)

    def miss(self, kind: str, text: str) -> None:
        """Keep up to three examples of one kind of miss."""
        examples = self.misses.setdefault(kind, [])
        if len(examples) < 3:
            examples.append(text[:220])


def _time_parts(value: datetime, *, millis: bool = False) -> tuple[int | None, ...]:
    """(year, month, day, hour, minute, second, millisecond or None) of a time."""
    return (value.year, value.month, value.day, value.hour, value.minute, value.second,
            value.microsecond // 1000 if millis else None)  # fmt: skip


def _expected_time(system: str, row: dict[str, str]) -> tuple[int | None, ...] | None:
    """(year or None, month, day, hour, minute, second, millisecond or None)."""
    try:
        if system == "Apache":
            return _time_parts(datetime.strptime(row["Time"], "%a %b %d %H:%M:%S %Y"))  # noqa: DTZ007
        if system == "HDFS":
            date, time = row["Date"].zfill(6), row["Time"].zfill(6)
            return (
                2000 + int(date[:2]), int(date[2:4]), int(date[4:6]),
                int(time[:2]), int(time[2:4]), int(time[4:6]), None,
            )  # fmt: skip
        if system in ("Linux", "OpenSSH"):
            month_day = (
                f"{row['Month']} {row['Date']}"
                if system == "Linux"
                else row["Date"] + " " + row["Day"]
            )
            value = datetime.strptime(f"2000 {month_day} {row['Time']}", "%Y %b %d %H:%M:%S")  # noqa: DTZ007
            return (None, *_time_parts(value)[1:])
        if system == "Spark":
            stamp = f"{row['Date']} {row['Time']}"
            return _time_parts(datetime.strptime(stamp, "%y/%m/%d %H:%M:%S"))  # noqa: DTZ007
        stamp = f"{row['Date']} {row['Time']}".replace(",", ".")
        value = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")  # noqa: DTZ007
        return _time_parts(value, millis=True)
    except (KeyError, ValueError):
        return None


def _time_matches(expected: tuple[int | None, ...], actual: datetime | None) -> bool:
    if actual is None:
        return False
    got = _time_parts(actual.astimezone(UTC), millis=True)
    return all(e is None or e == g for e, g in zip(expected, got, strict=True))


def _component(system: str, row: dict[str, str], record: LogRecord) -> tuple[str, str] | None:
    """(expected, ours) for the component column, or None when the system has none."""
    if system == "OpenSSH":
        return row["Component"], str(record.fields.get("host", ""))
    if system == "Zookeeper":
        return row["Component"].rsplit(":", 1)[-1], record.logger or ""
    if "Component" not in row:
        return None
    return row["Component"], record.logger or ""


def _records(path: Path) -> tuple[str, list[LogRecord]]:
    source = FileInput(name=path.name, path=path, size_bytes=path.stat().st_size)
    report, records = iter_source_records(source, OPTIONS)
    return report.format, list(records)


def loghub_tally(root: Path, system: str) -> tuple[str, Tally]:
    """Compare one system's parse with its structured CSV, record by record (by line number)."""
    folder = root / "loghub" / system
    with (folder / f"{system}_2k.log_structured_corrected.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    detected, records = _records(folder / f"{system}_2k.log")
    by_line = {record.line: record for record in records}
    tally = Tally(system, expected=len(rows), records=len(records))
    for row in rows:
        record = by_line.get(int(row["LineId"]))
        if record is None:
            tally.miss("record", f"line {row['LineId']} starts no record")
            continue
        expected_time = _expected_time(system, row)
        if expected_time is not None:
            tally.time_total += 1
            if _time_matches(expected_time, record.timestamp):
                tally.time_ok += 1
            else:
                tally.miss("time", f"{row['LineId']}: {expected_time} != {record.timestamp}")
        if system not in _NO_LEVEL and row.get("Level"):
            tally.level_total += 1
            if level_from_word(row["Level"]) is record.level:
                tally.level_ok += 1
            else:
                tally.miss("level", f"{row['LineId']}: {row['Level']} != {record.level}")
        pair = _component(system, row, record)
        if pair is not None:
            tally.component_total += 1
            if pair[0] == pair[1]:
                tally.component_ok += 1
            else:
                tally.miss("component", f"{row['LineId']}: {pair[0]!r} != {pair[1]!r}")
        if record.message.strip() == row["Content"].strip():
            tally.message_ok += 1
        else:
            tally.miss("message", f"{row['LineId']}: {row['Content']!r} != {record.message!r}")
    return detected, tally


# --------------------------------------------------------------------------- lnav

# lnav format name -> our formats of the same family. Unmapped names cannot be matched (we have
# no such format) and count as misses.
LNAV_FAMILIES: dict[str, set[str]] = {
    "access_log": {"clf"},
    "syslog_log": {"syslog_rfc3164", "syslog_rfc5424"},
    "generic_log": {"generic", "python_logging"},
    "epoch_log": {"generic"},
    "glog_log": {"glog"},
    "strace_log": {"generic"},
    "mysql_gen_log": {"mysql"},
    "bro_conn_log": {"zeek"},
    "tcsh_history": set(),
    "error_log": {"apache_error", "nginx_error"},
    "java_log": {"log4j"},
    "logcat_log": {"logcat"},
    "postgres_log": {"postgres"},
    "redis_log": {"redis"},
    "mysql_error_log": {"mysql"},
    "openstack_log": {"oslo"},
    "zookeeper_log": {"log4j"},
    "bunyan_log": {"json_lines"},
    "pino_log": {"json_lines"},
    "journald_json_log": {"journald_json"},
}
_LNAV_LEVELS = {
    "trace": Level.DEBUG,
    "debug": Level.DEBUG,
    "info": Level.INFO,
    "notice": Level.INFO,
    "warning": Level.WARNING,
    "error": Level.ERROR,
    "critical": Level.CRITICAL,
    "fatal": Level.CRITICAL,
}


@dataclass
class LnavTally:
    """Detection and value agreement on lnav's test logs."""

    files: int = 0
    family_ok: int = 0
    level_ok: int = 0
    level_total: int = 0
    time_ok: int = 0
    time_total: int = 0
    rows: list[tuple[str, str, str, bool]] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def _lnav_time(text: str) -> tuple[int, ...] | None:
    """Lnav prints `Dec 03 09:23:38 2006 -- 000`; the year is inferred by lnav, so we skip it."""
    try:
        stamp, millis = text.split(" -- ")
        value = datetime.strptime(stamp, "%b %d %H:%M:%S %Y")  # noqa: DTZ007
    except ValueError:
        return None
    return (value.month, value.day, value.hour, value.minute, value.second, int(millis))


def _clock(stamp: datetime | None) -> tuple[int, ...]:
    if stamp is None:
        return ()
    return (
        stamp.month,
        stamp.day,
        stamp.hour,
        stamp.minute,
        stamp.second,
        stamp.microsecond // 1000,
    )


def _starting_records(path: Path) -> tuple[str, list[LogRecord]]:
    detected, records = _records(path)
    return detected, records


def lnav_tally(root: Path) -> LnavTally:
    """Detected family per expected file, then levels and timestamps where listed."""
    folder = root / "lnav"
    expectations = json.loads((folder / "logfile_expectations.json").read_text(encoding="utf-8"))
    tally = LnavTally()
    seen: dict[str, tuple[str, list[LogRecord]]] = {}
    for entry in expectations:
        name = entry["file"]
        if name not in seen:
            seen[name] = _starting_records(folder / "test" / name)
            detected = seen[name][0]
            family = LNAV_FAMILIES.get(entry["expected_format"], set())
            is_ok = detected in family
            tally.files += 1
            tally.family_ok += is_ok
            tally.rows.append((name, entry["expected_format"], detected, is_ok))
        detected, records = seen[name]
        expected = entry.get("expected")
        if not expected or len(records) != len(expected):
            if expected:
                tally.misses.append(f"{name} {entry['check']}: {len(records)} records")
            continue
        if entry["check"] == "levels":
            for record, value in zip(records, expected, strict=True):
                tally.level_total += 1
                want = _LNAV_LEVELS.get(value.split()[0])
                got = record.level if record.level is not None else Level.INFO
                tally.level_ok += got is want
                if got is not want:
                    tally.misses.append(f"{name} level: {value} != {record.level}")
        elif entry["check"] == "timestamps":
            # lnav lists times in display order (sorted by time), so compare sorted lists
            wanted = sorted((_lnav_time(v) or ()) for v in expected)
            got = sorted(_clock(r.timestamp) for r in records)
            for want_time, got_time in zip(wanted, got, strict=True):
                tally.time_total += 1
                tally.time_ok += want_time == got_time
                if want_time != got_time:
                    tally.misses.append(f"{name} time: {want_time} != {got_time}")
    return tally


@dataclass
class SampleTally:
    """lnav format sample lines: parsed (not raw) and level agreement."""

    total: int = 0
    parsed: int = 0
    level_total: int = 0
    level_ok: int = 0
    per_format: dict[str, list[int]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)


def sample_tally(root: Path) -> SampleTally:
    """Parse each lnav sample on its own (auto-detected) and compare its level."""
    tally = SampleTally()
    ctx = ParseContext(tz=UTC, now=NOW)
    for text in (root / "lnav" / "format_samples.jsonl").read_text(encoding="utf-8").splitlines():
        sample = json.loads(text)
        records = parse_lines(sample["line"].splitlines(), ctx)
        counts = tally.per_format.setdefault(sample["format"], [0, 0])
        tally.total += 1
        counts[0] += 1
        first = records[0] if records else None
        is_parsed = first is not None and not first.is_unparsed
        tally.parsed += is_parsed
        counts[1] += is_parsed
        if not is_parsed:
            tally.misses.append(f"{sample['format']} unparsed: {sample['line'][:120]!r}")
        if sample.get("level") and first is not None:
            tally.level_total += 1
            want = _LNAV_LEVELS.get(sample["level"])
            tally.level_ok += first.level is want
            if first.level is not want:
                tally.misses.append(
                    f"{sample['format']} level {sample['level']} != {first.level}: "
                    f"{sample['line'][:100]!r}"
                )
    return tally


# --------------------------------------------------------------------------- report

SYSTEMS = ("Apache", "HDFS", "Hadoop", "Linux", "OpenSSH", "OpenStack", "Spark", "Zookeeper")


def _pct(ok: int, total: int) -> str:
    return f"{100 * ok / total:6.1f}" if total else "     -"


def _rate(ok: int, total: int) -> float | None:
    return ok / total if total else None


def _loghub(root: Path, verbose: bool) -> list[str]:
    missed: list[str] = []
    print("Loghub: ours vs structured CSV (%)")  # noqa: T201
    header = (
        f"{'system':<10} {'format':<15} {'records':>9} "
        f"{'time':>6} {'level':>6} {'comp':>6} {'msg':>6}"
    )
    print(header)  # noqa: T201
    sums: dict[str, list[float]] = {"time": [], "level": [], "comp": [], "msg": []}
    for system in SYSTEMS:
        detected, tally = loghub_tally(root, system)
        print(  # noqa: T201
            f"{system:<10} {detected:<15} {tally.records:>4}/{tally.expected:<4} "
            f"{_pct(tally.time_ok, tally.time_total)} {_pct(tally.level_ok, tally.level_total)} "
            f"{_pct(tally.component_ok, tally.component_total)} "
            f"{_pct(tally.message_ok, tally.expected)}"
        )
        rates = {
            "time": _rate(tally.time_ok, tally.time_total),
            "level": _rate(tally.level_ok, tally.level_total),
            "comp": _rate(tally.component_ok, tally.component_total),
            "msg": _rate(tally.message_ok, tally.expected),
        }
        for key, value in rates.items():
            if value is not None:
                sums[key].append(value)
        for key, goal in (("time", GOAL_TIME), ("level", GOAL_LEVEL), ("msg", GOAL_MESSAGE)):
            value = rates[key]
            if value is not None and value < goal:
                missed.append(f"loghub {system} {key} {100 * value:.1f} % < {100 * goal:.0f} %")
        if tally.records != tally.expected:
            missed.append(f"loghub {system} records {tally.records} != {tally.expected}")
        if verbose:
            for kind, examples in tally.misses.items():
                for example in examples:
                    print(f"    {kind}: {example}")  # noqa: T201
    averages = " ".join(f"{100 * sum(v) / len(v):6.1f}" if v else "     -" for v in sums.values())
    print(f"{'average':<10} {'':<15} {'':>9} {averages}")  # noqa: T201
    return missed


def _lnav(root: Path, verbose: bool) -> list[str]:
    missed: list[str] = []
    tally = lnav_tally(root)
    print("\nlnav test logs: detected format family")  # noqa: T201
    for name, expected, detected, is_ok in tally.rows:
        print(f"  {'ok ' if is_ok else 'MISS'} {name:<38} {expected:<16} -> {detected}")  # noqa: T201
    family = _rate(tally.family_ok, tally.files) or 0.0
    print(  # noqa: T201
        f"family {tally.family_ok}/{tally.files} = {100 * family:.1f} %   "
        f"levels {_pct(tally.level_ok, tally.level_total).strip()} % of {tally.level_total}   "
        f"timestamps {_pct(tally.time_ok, tally.time_total).strip()} % of {tally.time_total}"
    )
    if family < GOAL_LNAV_FAMILY:
        missed.append(f"lnav family {100 * family:.1f} % < {100 * GOAL_LNAV_FAMILY:.0f} %")
    samples = sample_tally(root)
    print(  # noqa: T201
        f"\nlnav format samples: parsed {samples.parsed}/{samples.total} "
        f"({_pct(samples.parsed, samples.total).strip()} %), level agrees "
        f"{samples.level_ok}/{samples.level_total} "
        f"({_pct(samples.level_ok, samples.level_total).strip()} %)"
    )
    if verbose:
        for line in tally.misses + samples.misses:
            print(f"    {line}")  # noqa: T201
    if samples.parsed < samples.total:
        missed.append(f"lnav samples parsed {samples.parsed}/{samples.total}")
    if samples.level_ok < samples.level_total:
        missed.append(f"lnav sample levels {samples.level_ok}/{samples.level_total}")
    return missed


def main(argv: list[str] | None = None) -> int:
    """Print the tables; return 1 with `--strict` when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("-v", "--verbose", action="store_true", help="print example misses")
    args = parser.parse_args(argv)
    if not (args.data / "loghub").is_dir():
        print(f"no data at {args.data}; nothing to measure")  # noqa: T201
        return 0
    missed = _loghub(args.data, args.verbose)
    if (args.data / "lnav").is_dir():
        missed += _lnav(args.data, args.verbose)
    print("\ngoals missed:" if missed else "\nall goals met")  # noqa: T201
    for line in missed:
        print(f"  {line}")  # noqa: T201
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
