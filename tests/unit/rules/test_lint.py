"""Rules lint: catastrophic-backtracking patterns are found; user rules with them are rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from loghealth.engine import Engine
from loghealth.rules.lint import lint_pattern
from loghealth.rules.loader import load_catalog


@pytest.mark.parametrize("pattern", ["(a+)+b", "(\\s*\\w*)*$", "(.*)+x", "(?:a|b+)+c", "(a*b?)*z"])
def test_nested_quantifiers_are_flagged(pattern: str) -> None:
    assert any("nested quantifier" in problem for problem in lint_pattern(pattern))


@pytest.mark.parametrize(
    "pattern", ["(\\w+\\.)+x", "a++", "(?:x(?:ab)+)+", "disk (?:is )?full", "\\d{1,3}(?:\\.\\d+)*"]
)
def test_unambiguous_repeats_pass(pattern: str) -> None:
    assert lint_pattern(pattern) == []


def test_every_shipped_pattern_lints_clean() -> None:
    problems = {
        (s.id, p): lint_pattern(p)
        for s in load_catalog().signatures
        for p in s.spec.patterns
        if lint_pattern(p)
    }
    assert problems == {}


def test_user_rule_that_can_hang_is_rejected_with_the_reason(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "signatures:\n"
        "  - {id: slow, patterns: ['(x+x+)+y'], severity: error, category: bug, area: config}\n"
        "  - {id: fine, patterns: ['x+y'], severity: error, category: bug, area: config}\n"
    )
    engine = Engine(load_catalog([], [rules]))
    assert [c.signature.id for c in engine.matcher.signatures] == ["fine"]
    assert any("slow" in e and "nested quantifier" in e for e in engine.errors)
