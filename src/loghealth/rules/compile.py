"""Rules: compile each signature's patterns into one case-insensitive regex, collecting errors.

Patterns use Python `re` syntax and are searched (not anchored) in a record's message. A user
rule whose pattern can backtrack catastrophically (`rules.lint`) is rejected with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loghealth.rules.lint import lint_pattern
from loghealth.rules.literals import required_literals
from loghealth.rules.loader import Signature
from loghealth.rules.schema import Tier
from loghealth.rules.tree import parse_tree

__all__ = ["CompiledSignature", "compile_signatures"]


@dataclass(frozen=True, slots=True)
class CompiledSignature:
    """A signature with its patterns compiled (one alternation) and its gates precomputed."""

    signature: Signature
    regex: re.Pattern[str]
    formats: frozenset[str]
    literals: tuple[str, ...] | None

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        """Each pattern alone, compiled case-insensitively, for its groups (`re` caches them).

        Compiled on demand: only a rule test reads them, and compiling every pattern of the
        catalog a second time would lengthen every scan's start-up.
        """
        return tuple(re.compile(p, re.IGNORECASE) for p in self.signature.spec.patterns)

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Sort key, highest first: tier, then narrowed by logger/format, then catalog order."""
        spec = self.signature.spec
        narrowed = int(bool(spec.logger_prefix) or bool(spec.applies_to.formats))
        return (int(self.signature.tier), narrowed, -self.signature.order)


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
    left out the same way. Returns the compiled signatures (most specific first) and one message
    per failure.
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
            joined = re.compile(
                "|".join(f"(?:{p})" for p in signature.spec.patterns), re.IGNORECASE
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
