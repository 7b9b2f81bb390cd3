"""Parser golden files: `tests/data/logs/<format>/<case>.log` and its `.expected.jsonl`.

Regenerate after a deliberate parser change with `python -m tests.goldens`, then review the diff.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from loghealth.cli.parse import record_document
from loghealth.runtime import ScanOptions
from loghealth.runtime.scan import iter_source_records
from loghealth.sources import FileInput

GOLDEN_ROOT = Path(__file__).parent / "data" / "logs"
OPTIONS = ScanOptions(tz=UTC, now=datetime(2024, 6, 1, tzinfo=UTC))


def golden_cases() -> list[Path]:
    """Every golden input file, sorted."""
    return sorted(GOLDEN_ROOT.glob("*/*.log"))


def parse_case(path: Path) -> tuple[str, list[dict[str, object]]]:
    """Detected format and records (as `loghealth parse` prints them) of one golden input."""
    source = FileInput(name=path.name, path=path, size_bytes=path.stat().st_size)
    report, records = iter_source_records(source, OPTIONS)
    documents = [json.loads(json.dumps(record_document(r), default=str)) for r in records]
    return report.format, documents


def expected_path(path: Path) -> Path:
    """Where a case's expected records live."""
    return path.with_suffix(".expected.jsonl")


def main() -> None:
    """Rewrite every `.expected.jsonl` from the current parsers."""
    for path in golden_cases():
        _, documents = parse_case(path)
        text = "".join(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n" for d in documents)
        expected_path(path).write_text(text, encoding="utf-8")
        print(f"wrote {expected_path(path)} ({len(documents)} records)")  # noqa: T201


if __name__ == "__main__":
    main()
