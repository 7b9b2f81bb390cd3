r"""Rules: lint patterns before they reach the engine — backtracking traps and fast-path fit.

`re` backtracks: a repeat of a body that can itself split one text in many ways (`(a+)+`,
`(\\s*\\w*)*`, `(.*)+`) takes exponential time on a near-miss line, and one such rule can hang a
scan. `lint_pattern` finds them on CPython's own parse tree (`re._parser`). A user rule with such
a pattern is rejected at compile time with the reason; shipped patterns must lint clean (tested).
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]
from typing import Any

from loghealth.rules.tree import parse_tree

__all__ = ["lint_pattern"]

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)


def _children(op: Any, arg: Any) -> list[list[Any]]:
    if op in _REPEATS or op is getattr(sre, "POSSESSIVE_REPEAT", None):
        return [list(arg[2])]
    if op is sre.SUBPATTERN:
        return [list(arg[3])]
    if op is sre.BRANCH:
        return [list(b) for b in arg[1]]
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [list(arg[1])]
    return []


def _has_unbounded_repeat(items: list[Any]) -> bool:
    for op, arg in items:
        if op in _REPEATS and arg[1] == sre.MAXREPEAT:
            return True
        if any(_has_unbounded_repeat(child) for child in _children(op, arg)):
            return True
    return False


def _min_width_outside_repeats(items: list[Any]) -> int:
    """Characters the sequence must consume outside its unbounded repeats (0: all repeats)."""
    width = 0
    for op, arg in items:
        if op in _REPEATS and arg[1] == sre.MAXREPEAT:
            continue
        if op is sre.SUBPATTERN:
            width += _min_width_outside_repeats(list(arg[3]))
        elif op is sre.BRANCH:
            width += min(_min_width_outside_repeats(list(b)) for b in arg[1])
        elif op in _REPEATS:
            width += arg[0] * _min_width_outside_repeats(list(arg[2]))
        elif op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN, sre.CATEGORY):
            width += 1
    return width


def _nested(items: list[Any]) -> list[str]:
    problems: list[str] = []
    for op, arg in items:
        if op in _REPEATS and arg[1] > 1:
            body = list(arg[2])
            if _has_unbounded_repeat(body) and _min_width_outside_repeats(body) == 0:
                problems.append(
                    "nested quantifier: a repeated group made only of repeats, like (a+)+, "
                    "backtracks exponentially on a near-miss line; make the inner part "
                    "unambiguous or use a possessive quantifier (a++)"
                )
                continue
        for child in _children(op, arg):
            problems.extend(_nested(child))
    return problems


def lint_pattern(pattern: str) -> list[str]:
    """Problems that make `pattern` unsafe to run with `re` (empty list: none found).

    Heuristic and conservative about what it flags: a repeat (max > 1) whose body has an
    unbounded repeat and nothing it must consume outside such repeats. A pattern that does not
    compile gets one problem naming the `re` error. Never raises.
    """
    try:
        tree = parse_tree(pattern)
    except (re.error, RecursionError, ValueError, TypeError, OverflowError) as error:
        return [f"does not compile: {error}"]
    try:
        return list(dict.fromkeys(_nested(list(tree))))
    except RecursionError:
        return ["nested too deeply to check"]
