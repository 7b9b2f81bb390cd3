"""The literal prefilter never rejects a line its regex would match (it may let extra lines in)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loghealth.rules.literals import required_literals
from loghealth.rules.loader import load_catalog

PATTERNS = sorted({p for s in load_catalog().signatures for p in s.spec.patterns})


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (
            r"(?:FATAL|ERROR):\s+sorry, too many clients already",
            ("sorry, too many clients already",),
        ),
        (r"Out of memory: Killed process|oom-kill", ("out of memory: killed process", "oom-kill")),
        (r"x(abc|def)y", ("abc", "def")),
        (r"foo\.bar(baz)?", ("foo.bar",)),
        (r"\d+ a", None),  # too short to be worth it
        (r"(?-i:ABC)def", ("def",)),  # a case-sensitive group is not used
        (r"(", None),
    ],
)
def test_required_literals(pattern: str, literals: tuple[str, ...] | None) -> None:
    assert required_literals(pattern) == literals


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_catalog_pattern_matches_always_contain_a_literal(
    pattern: str, data: st.DataObject
) -> None:
    literals = required_literals(pattern)
    if literals is None:
        return
    compiled = re.compile(pattern, re.IGNORECASE)
    text = data.draw(st.from_regex(compiled, alphabet=st.characters(codec="ascii")))
    assert compiled.search(text)
    assert any(literal in text.lower() for literal in literals), (pattern, text, literals)
