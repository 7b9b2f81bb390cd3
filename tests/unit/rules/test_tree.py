"""The shared parse tree: one parse per pattern, left as the parser made it by every walker."""

from __future__ import annotations

import contextlib
import re
import re._parser as sre_parse  # type: ignore[import-not-found]

import pytest

from loghealth.engine.backends.dialect import Unsupported, to_multipattern
from loghealth.rules.lint import lint_pattern
from loghealth.rules.literals import required_literals
from loghealth.rules.loader import load_catalog
from loghealth.rules.tree import parse_tree

PATTERNS = sorted({p for s in load_catalog().signatures for p in s.spec.patterns})


def test_a_pattern_is_parsed_once() -> None:
    pattern = r"connection (?:refused|reset) by \w+"
    assert parse_tree(pattern) is parse_tree(pattern)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_walking_the_tree_leaves_it_as_parsed(pattern: str) -> None:
    tree = parse_tree(pattern)
    required_literals(pattern)
    lint_pattern(pattern)
    for anchors in (True, False):
        with contextlib.suppress(Unsupported):
            to_multipattern(pattern, anchors=anchors)
    assert parse_tree(pattern) is tree
    assert repr(tree) == repr(sre_parse.parse(pattern, re.IGNORECASE))


def test_a_parse_error_is_raised_each_time() -> None:
    for _ in range(2):
        with pytest.raises(re.error):
            parse_tree("(unclosed")
    assert lint_pattern("(unclosed")[0].startswith("does not compile")
