"""Rules: extract literals a pattern's every match must contain — the prefilter of the matcher.

A record whose lower-cased message contains none of a signature's literals cannot match it, so the
regex is not run. Extraction reads CPython's own regex parse tree (`re._parser`, the parser `re`
compiles with) and gives up (returns None: "always run the regex") on anything it is not sure of.
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]
from typing import Any

from loghealth.rules.tree import parse_tree

__all__ = ["MIN_LITERAL_CHARS", "required_literals"]

MIN_LITERAL_CHARS = 3
"""Shorter literals filter too little to be worth checking."""


def _best(candidates: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    usable = [c for c in candidates if c and min(map(len, c)) >= MIN_LITERAL_CHARS]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(map(len, c)), -len(c)))


def _branches(branches: list[Any]) -> tuple[str, ...] | None:
    found: list[str] = []
    for branch in branches:
        literals = _sequence(list(branch))
        if literals is None:
            return None
        found.extend(literals)
    return tuple(dict.fromkeys(found))


def _sequence(items: list[Any]) -> tuple[str, ...] | None:
    candidates: list[tuple[str, ...]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append(("".join(run).lower(),))
            run.clear()

    for op, arg in items:
        if op is sre.LITERAL and arg < 128:
            run.append(chr(arg))
            continue
        flush()
        if op is sre.SUBPATTERN:
            _group, add_flags, del_flags, body = arg
            if not (add_flags or del_flags):
                inner = _sequence(list(body))
                if inner is not None:
                    candidates.append(inner)
        elif op is sre.BRANCH:
            inner = _branches(arg[1])
            if inner is not None:
                candidates.append(inner)
    flush()
    return _best(candidates)


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Lower-case ASCII strings, one of which every match of `pattern` contains.

    Returns None when no such set of literals of at least `MIN_LITERAL_CHARS` can be proven;
    the caller must then always run the regex. Never raises.
    """
    try:
        tree = parse_tree(pattern)
    except (re.error, RecursionError, ValueError, TypeError, OverflowError):
        return None
    return _sequence(list(tree))
