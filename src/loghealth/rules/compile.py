"""Rules: compile each signature's patterns into one case-insensitive regex, collecting errors.

Patterns use Python `re` syntax and are searched (not anchored) in a record's message. A user
rule whose pattern can backtrack catastrophically (`rules.lint`) is rejected with the reason;
the lint cannot see every such pattern, so a user rule's search also runs with a time budget
(`BudgetedPattern`). Shipped patterns lint clean and are tested: they run with `re`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import regex  # type: ignore[import-untyped]

from loghealth.rules.lint import lint_pattern
from loghealth.rules.literals import required_literals
from loghealth.rules.loader import Signature
from loghealth.rules.schema import Tier
from loghealth.rules.tree import parse_tree

__all__ = [
    "RULE_SEARCH_BUDGET_SECS",
    "BudgetedPattern",
    "CompiledSignature",
    "Searcher",
    "compile_signatures",
    "regex_source",
]

RULE_SEARCH_BUDGET_SECS = 0.05
"""How long one search of a user rule's patterns in one message may take (seconds)."""


class Searcher(Protocol):
    """A compiled pattern: `re.Pattern[str]`, or a user rule's `BudgetedPattern`."""

    @property
    def pattern(self) -> str:
        """The source text."""
        ...

    def search(self, string: str, /) -> Any:
        """The first match in `string` (a `re`/`regex` match object), or None."""
        ...


_BRACES = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|\{(?!\d*(?:,\d*)?\})", re.DOTALL)
"""An escape, a character class, or a `{` that does not open a `{m,n}` repeat (`re`: text)."""


def regex_source(pattern: str) -> str:
    r"""`pattern` for the `regex` module: each `{` that `re` reads as text escaped (`\{`)."""
    return _BRACES.sub(lambda found: "\\{" if found.group() == "{" else found.group(), pattern)


class BudgetedPattern:
    r"""A user rule's pattern, case-insensitive, whose search gives up after a time budget.

    `re` cannot be interrupted, and `rules.lint` flags only nested repeats like `(a+)+`: an
    alternation whose branches match the same text, like `(a|aa)*c`, still backtracks
    exponentially on a long run of `a`s (CPython 3.11: 1.5 s at 32, 57 s at 40). So user rules
    are compiled with the `regex` module in its `re`-compatible mode (VERSION0), whose searches
    take a timeout (`regex` docs, "Timeout"). `regex` reads `{e}`, `{i<=1}` and the like as
    fuzzy-matching constraints where `re` reads braces as text: every `{` that does not open a
    `{m,n}` repeat is escaped first (`regex_source`), so both read the pattern alike.

    Raises:
        regex.error: the pattern does not compile (from the constructor).
    """

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled = regex.compile(regex_source(pattern), regex.IGNORECASE | regex.VERSION0)

    def search(self, string: str, /) -> Any:
        """The first match in `string`, or None.

        Raises:
            TimeoutError: the search took longer than `RULE_SEARCH_BUDGET_SECS` (abandoned).
        """
        return self._compiled.search(string, timeout=RULE_SEARCH_BUDGET_SECS)


@dataclass(frozen=True, slots=True)
class CompiledSignature:
    """A signature with its patterns compiled (one alternation) and its gates precomputed.

    A user rule's `regex` (and `patterns`) are `BudgetedPattern`s: their `search` may raise
    TimeoutError.
    """

    signature: Signature
    regex: Searcher
    formats: frozenset[str]
    literals: tuple[str, ...] | None

    @property
    def patterns(self) -> tuple[Searcher, ...]:
        """Each pattern alone, compiled as `regex` is, for its groups (`re`, `regex` cache them).

        Compiled on demand: only a rule test reads them, and compiling every pattern of the
        catalog a second time would lengthen every scan's start-up.
        """
        return tuple(_compiled(p, self.signature.tier) for p in self.signature.spec.patterns)

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Sort key, highest first: tier, then narrowed by logger/format, then catalog order."""
        spec = self.signature.spec
        narrowed = int(bool(spec.logger_prefix) or bool(spec.applies_to.formats))
        return (int(self.signature.tier), narrowed, -self.signature.order)


def _compiled(pattern: str, tier: Tier) -> Searcher:
    """`pattern` compiled case-insensitively: with a time budget for a user rule.

    Raises:
        re.error: the pattern does not compile (a `regex.error` is raised again as one).
    """
    if tier is Tier.RULE:
        try:
            return BudgetedPattern(pattern)
        except regex.error as error:
            raise re.error(str(error)) from None
    return re.compile(pattern, re.IGNORECASE)


def _literals(patterns: tuple[str, ...]) -> tuple[str, ...] | None:
    """Prefilter literals of the whole alternation: None if any pattern has none."""
    found: list[str] = []
    for pattern in patterns:
        literals = required_literals(pattern)
        if literals is None:
            return None
        found.extend(literals)
    return tuple(dict.fromkeys(found))


def compile_signatures(signatures: list[Signature]) -> tuple[list[CompiledSignature], list[str]]:
    """Compile signatures; one that fails to compile is left out and its error returned.

    User rules (tier `rule`) are also linted: one whose pattern can backtrack catastrophically is
    left out the same way; the others are searched with a time budget (`BudgetedPattern`).
    Returns the compiled signatures (most specific first) and one message per failure.
    """
    compiled: list[CompiledSignature] = []
    errors: list[str] = []
    for signature in signatures:
        if signature.tier is Tier.RULE:
            problems = [
                f"{signature.id}: pattern {pattern!r} rejected: {problem}"
                for pattern in signature.spec.patterns
                for problem in lint_pattern(pattern)
                if not problem.startswith("does not compile")
            ]
            if problems:
                errors.extend(problems)
                continue
        try:
            for pattern in signature.spec.patterns:  # alone too: `a)(b` compiles only joined
                parse_tree(pattern)
            joined = _compiled(
                "|".join(f"(?:{p})" for p in signature.spec.patterns), signature.tier
            )
        except re.error as error:
            errors.append(f"{signature.id}: pattern does not compile: {error}")
            continue
        compiled.append(
            CompiledSignature(
                signature,
                joined,
                frozenset(signature.spec.applies_to.formats),
                _literals(signature.spec.patterns),
            )
        )
    compiled.sort(key=lambda c: c.specificity, reverse=True)
    return compiled, errors
