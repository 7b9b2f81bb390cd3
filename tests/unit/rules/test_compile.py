"""compile_signatures: which signatures compile, and the patterns they keep."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from loghealth.rules.compile import compile_signatures
from loghealth.rules.loader import Signature
from loghealth.rules.schema import SignatureSpec, Tier


def _signature(patterns: list[str]) -> Signature:
    spec = SignatureSpec.model_validate(
        {"id": "r", "patterns": patterns, "severity": "error", "category": "bug", "area": "config"}
    )
    return Signature(spec, "rules", Tier.APP, 0, None, None)


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error:
        return False
    return True


def test_a_pattern_that_compiles_only_inside_the_alternation_is_reported() -> None:
    assert _compiles("(?:a)(b)") and not _compiles("a)(b")
    compiled, errors = compile_signatures([_signature(["a)(b"])])
    assert compiled == []
    assert errors == ["r: pattern does not compile: unbalanced parenthesis at position 1"]


def test_patterns_are_each_pattern_alone() -> None:
    compiled, _ = compile_signatures([_signature([r"disk (?P<dev>sd\w)", r"oom at (\d+)"])])
    first, second = compiled[0].patterns
    assert first.pattern == r"disk (?P<dev>sd\w)" and first.flags & re.IGNORECASE
    assert first.search("DISK sdb full").groupdict() == {"dev": "sdb"}
    assert second.search("oom at 42").group(1) == "42"


@given(st.lists(st.text("ab()|?:*+\\].", min_size=1, max_size=6), min_size=1, max_size=3))
@settings(max_examples=400, deadline=None)
def test_a_signature_compiles_when_each_pattern_and_their_alternation_do(
    patterns: list[str],
) -> None:
    expected = all(_compiles(p) for p in patterns) and _compiles(
        "|".join(f"(?:{p})" for p in patterns)
    )
    try:
        compiled, errors = compile_signatures([_signature(patterns)])
    except ValueError:  # the schema refuses the spec (an empty pattern): not ours to compile
        return
    assert bool(compiled) is expected
    assert bool(errors) is not expected
