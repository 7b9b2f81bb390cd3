"""Rules: a pattern's parse tree, parsed once for everything that walks it.

Literal extraction (`rules.literals`), the backtracking lint (`rules.lint`) and the engine's
dialect rewrites (`engine.backends.dialect`, twice a pattern: with and without anchors) all read
CPython's own parse tree (`re._parser`, what `re.compile` reads) of the same case-insensitive
pattern. Parsing is the larger part of each walk, so sharing the tree spares a scan's start-up
several passes over every pattern of the catalog.
"""

from __future__ import annotations

import functools
import re
import re._parser as sre_parse  # type: ignore[import-not-found]
from typing import Any

__all__ = ["parse_tree"]


@functools.lru_cache(maxsize=2048)
def parse_tree(pattern: str) -> Any:
    """`re._parser.parse(pattern, re.IGNORECASE)`, cached: callers must not change the tree.

    Raises:
        re.error, RecursionError, ValueError, TypeError, OverflowError: as the parser does (an
            error is not cached).
    """
    return sre_parse.parse(pattern, re.IGNORECASE)
