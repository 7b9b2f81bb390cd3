r"""Engine: rewrite a Python `re` pattern into a multi-pattern engine's dialect, as a *superset*.

The rewrite walks CPython's own parse tree (`re._parser`, what `re.compile` reads), so a pattern
means to the fast engine what it means to `re`: `{,3}`, `\\Z` or a class escape are never
reinterpreted by a second parser. Everything is emitted as ASCII (`\\xHH`), so the result is
valid for Hyperscan/Vectorscan (PCRE syntax) and for ripgrep's ASCII mode (Rust `regex`).

Guarantee: on an ASCII message without the control characters U+001C-U+001F (where Python's
`\\s` differs), compiled case-insensitive and multi-line, the rewrite matches whenever
`re.compile(pattern, re.IGNORECASE).search(message)` does. It may match more (look-arounds are
dropped, possessive and lazy repeats become greedy, anchors match at any line), never less;
callers confirm every candidate with `re`. Constructs it cannot rewrite soundly (back-references,
conditionals, non-ASCII literals or classes, empty matches) raise `Unsupported`.
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]
from typing import Any

from loghealth.rules.tree import parse_tree

__all__ = ["Unsupported", "to_multipattern"]

_PLAIN = frozenset(" _,'\"=/@%;")
"""Characters that mean themselves everywhere (in and out of classes, PCRE and Rust `regex`)."""
_SPACE = r"\x09-\x0d\x20"
_WORD = r"0-9A-Za-z_"
_CATEGORIES = {
    sre.CATEGORY_DIGIT: ("0-9", False),
    sre.CATEGORY_NOT_DIGIT: ("0-9", True),
    sre.CATEGORY_SPACE: (_SPACE, False),
    sre.CATEGORY_NOT_SPACE: (_SPACE, True),
    sre.CATEGORY_WORD: (_WORD, False),
    sre.CATEGORY_NOT_WORD: (_WORD, True),
}
_ANCHORS = {
    sre.AT_BEGINNING: "^",
    sre.AT_BEGINNING_STRING: "^",
    sre.AT_END: "$",
    sre.AT_END_STRING: "$",
    sre.AT_BOUNDARY: r"\b",
    sre.AT_NON_BOUNDARY: r"\B",
}
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT))


class Unsupported(ValueError):
    """The pattern has a construct that cannot be rewritten as a sound superset."""


def _char(code: int) -> str:
    if code >= 128:
        raise Unsupported("non-ASCII character")
    if chr(code).isalnum() or chr(code) in _PLAIN:
        return chr(code)
    return f"\\x{code:02x}"


def _class(items: list[Any]) -> str:
    negate = False
    parts: list[str] = []
    for op, arg in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            parts.append(_char(arg))
        elif op is sre.RANGE:
            parts.append(f"{_char(arg[0])}-{_char(arg[1])}")
        elif op is sre.CATEGORY:
            body, negated = _CATEGORIES[arg]
            if negated and len(items) > 1:
                raise Unsupported("negated category inside a class")
            if negated:
                return f"[^{body}]"
            parts.append(body)
        else:
            raise Unsupported(f"class item {op}")
    if not parts:
        raise Unsupported("empty class")
    return f"[{'^' if negate else ''}{''.join(parts)}]"


def _repeat(arg: Any, dotall: bool, anchors: bool) -> str:
    low, high, body = arg
    inner = _sequence(list(body), dotall, anchors)
    if high == sre.MAXREPEAT:
        bounds = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
    elif (low, high) == (0, 1):
        bounds = "?"
    else:
        bounds = f"{{{low},{high}}}" if low != high else f"{{{low}}}"
    return f"(?:{inner}){bounds}"


def _item(op: Any, arg: Any, dotall: bool, anchors: bool) -> str:
    if op is sre.LITERAL:
        return _char(arg)
    if op is sre.NOT_LITERAL:
        return f"[^{_char(arg)}]"
    if op is sre.ANY:
        return r"[\x00-\x7f]" if dotall else "."
    if op is sre.IN:
        return _class(list(arg))
    if op is sre.CATEGORY:
        body, negated = _CATEGORIES[arg]
        return f"[{'^' if negated else ''}{body}]"
    if op is sre.AT:
        return _ANCHORS[arg] if anchors else ""
    if op is sre.BRANCH:
        return "(?:" + "|".join(_sequence(list(b), dotall, anchors) for b in arg[1]) + ")"
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, body = arg
        inner_dotall = dotall or bool(add_flags & sre.SRE_FLAG_DOTALL)
        return f"(?:{_sequence(list(body), inner_dotall, anchors)})"
    if op in _REPEATS:
        return _repeat(arg, dotall, anchors)
    if op is getattr(sre, "ATOMIC_GROUP", None):
        return f"(?:{_sequence(list(arg), dotall, anchors)})"
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return ""  # a look-around only ever removes matches: dropping it keeps a superset
    raise Unsupported(f"construct {op}")


def _sequence(items: list[Any], dotall: bool, anchors: bool) -> str:
    return "".join(_item(op, arg, dotall, anchors) for op, arg in items)


def to_multipattern(pattern: str, *, anchors: bool = True) -> str:
    r"""Rewrite one Python `re` pattern (searched case-insensitively) as an ASCII PCRE superset.

    Returns the rewritten expression, to be compiled caseless and multi-line. `anchors=False`
    drops `^`, `$`, `\b` and `\B` too, so the result also matches when the message is only a
    part of the scanned text (a raw log line around it): still a superset.

    Raises:
        Unsupported: back-references, conditionals, non-ASCII literals or classes, a pattern
            that can match an empty string, or one that does not compile with `re`.
    """
    try:
        tree = parse_tree(pattern)
    except (re.error, RecursionError, ValueError, TypeError, OverflowError) as error:
        raise Unsupported(f"does not compile: {error}") from None
    if tree.getwidth()[0] == 0:
        # empty matches are reported unreliably at buffer and line edges: always a candidate
        raise Unsupported("can match an empty string")
    dotall = bool(tree.state.flags & sre.SRE_FLAG_DOTALL)
    try:
        return _sequence(list(tree), dotall, anchors)
    except RecursionError:
        raise Unsupported("nested too deeply") from None
