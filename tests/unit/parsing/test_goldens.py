"""Every golden log parses to exactly its reviewed records, and its format is detected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.goldens import expected_path, golden_cases, parse_case

CASES = golden_cases()


def test_there_are_goldens_for_every_format() -> None:
    from loghealth.parsing import PARSER_NAMES

    assert {p.parent.name for p in CASES} == set(PARSER_NAMES)


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_golden(path: Path) -> None:
    detected, documents = parse_case(path)
    assert detected == path.parent.name
    expected = [
        json.loads(line) for line in expected_path(path).read_text(encoding="utf-8").splitlines()
    ]
    assert documents == expected
