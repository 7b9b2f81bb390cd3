"""compile_signatures: which signatures compile, and the patterns they keep."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loghealth.rules.compile import BudgetedPattern, compile_signatures
from loghealth.rules.loader import Signature
from loghealth.rules.schema import SignatureSpec, Tier


def _signature(patterns: list[str], tier: Tier = Tier.APP) -> Signature:
    spec = SignatureSpec.model_validate(
        {"id": "r", "patterns": patterns, "severity": "error", "category": "bug", "area": "config"}
    )
    return Signature(spec, "rules", tier, 0, None, None)


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


def test_shipped_patterns_run_with_re_and_user_rules_within_a_time_budget() -> None:
    (shipped,), _ = compile_signatures([_signature([r"disk (?P<dev>sd\w)"])])
    (user,), _ = compile_signatures([_signature([r"disk (?P<dev>sd\w)"], Tier.RULE)])
    assert isinstance(shipped.regex, re.Pattern)
    assert isinstance(user.regex, BudgetedPattern) and isinstance(user.patterns[0], BudgetedPattern)
    assert user.regex.search("DISK sdb full").group() == "DISK sdb"
    assert user.patterns[0].search("disk sdc").groupdict() == {"dev": "sdc"}


def test_a_user_rule_the_lint_lets_through_gives_up_instead_of_hanging() -> None:
    # overlapping branches under a repeat: `re` took 1.5 s on 32 `a`s, 57 s on 40
    (user,), errors = compile_signatures([_signature([r"(a|aa)*c"], Tier.RULE)])
    assert errors == []  # the lint flags nested repeats only
    with pytest.raises(TimeoutError):
        user.regex.search("a" * 40 + "b c")
    assert user.regex.search("xx AAC").group() == "AAC"  # a quick search is unaffected


def test_braces_re_reads_as_text_stay_text_for_a_user_rule() -> None:
    # `regex` alone would read `{e}` as a fuzzy-matching constraint (`id` with one error)
    (user,), _ = compile_signatures([_signature([r"id{e} x{2}"], Tier.RULE)])
    assert user.regex.search("id{e} xx").group() == "id{e} xx"
    assert user.regex.search("ib xx") is None


# re-ish syntax with braces, the letters of `regex`'s fuzzy constraints and digits
_PATTERNS = st.text("ab|()*+?.^$\\dswBeis{},12[]-: ", min_size=1, max_size=9)


@given(_PATTERNS, st.text("abAB {}eids,12_-:\n", min_size=1, max_size=12))
@settings(max_examples=1500, deadline=None)
def test_a_budgeted_pattern_finds_what_re_finds(pattern: str, text: str) -> None:
    # (not in an empty text: there `re` never matches `\B`, `regex` does)
    try:
        expected = re.compile(pattern, re.IGNORECASE).search(text)
    except (re.error, FutureWarning):  # `[[` warns; the tests make warnings errors
        return
    found = BudgetedPattern(pattern).search(text)
    assert (found and (found.span(), found.groups())) == (
        expected and (expected.span(), expected.groups())
    )
