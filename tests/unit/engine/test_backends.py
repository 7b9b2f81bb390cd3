"""Engine backends: fast (Hyperscan) and portable (Aho-Corasick) prefilters give identical hits.

Both are checked against the reference — every signature tried in order, no prefilter — on
random patterns and messages (hypothesis), on every catalog example and on real Loghub records.
"""

# ruff: noqa: E402  (imports follow the skip when Hyperscan is not installed)
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

hyperscan = pytest.importorskip("hyperscan")

from loghealth.engine import Engine
from loghealth.engine.backends import EngineKind, create_prefilter, fast_available
from loghealth.engine.backends.dialect import Unsupported, to_multipattern
from loghealth.engine.backends.fast import FastPrefilter
from loghealth.model import Level, LogRecord
from loghealth.parsing import ParseContext, parse_lines
from loghealth.rules.loader import load_catalog
from loghealth.runtime import ScanOptions
from loghealth.runtime.scan import iter_source_records
from loghealth.sources import discover_inputs

CATALOG = load_catalog()
ENGINES = {kind: Engine(CATALOG, engine=kind) for kind in (EngineKind.FAST, EngineKind.PORTABLE)}
FLAGS = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE

PIECES = [
    "a", "b", "x", "err", "fail", "ed", " ", "-", ".", ":", "\\d+", "\\s+", "\\w*", "\\S",
    "[a-c]", "[^x]", "[\\d.]", ".", ".*", "(?:ab|cd)", "(a|)", "x{,3}", "b{2}", "c{1,2}?", "^",
    "$", "\\A", "\\Z", "\\b", "\\B", "(?=a)", "(?!b)", "(?<=x)", "(?<!y)", "(?s:.)", "(?-i:A)",
    "a++", "(?>ab)", "[\\s\\S]", "\\W", "\\D", "é", "\\(", "\\]", "(?i)",
]  # fmt: skip
ALPHABET = st.sampled_from(
    [*"abcdxyABEFILR01 .:-_\n\t()[]", "err", "fail", "ed", "é", "\x1c", "\x0b", "K"]
)


def _search(expression: str, text: str) -> bool:
    database = hyperscan.Database()
    database.compile(expressions=[expression.encode()], ids=[0], flags=FLAGS)
    found: list[int] = []
    database.scan(text.encode("ascii"), match_event_handler=lambda *args: found.append(1))
    return bool(found)


@given(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join),
    st.lists(ALPHABET, max_size=30).map("".join),
)
@settings(max_examples=400, deadline=None)
def test_rewrite_is_a_superset_of_re_on_safe_messages(pattern: str, message: str) -> None:
    try:
        regex = re.compile(pattern, re.IGNORECASE)
        expression = to_multipattern(pattern)
    except (re.error, Unsupported):
        return
    safe = message.isascii() and not re.search("[\x1c-\x1f]", message)
    if not safe or not regex.search(message):
        return
    try:
        found = _search(expression, message)
    except hyperscan.error:
        return  # not compilable: FastPrefilter makes such a signature a candidate everywhere
    assert found, (pattern, expression, message)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("x{,3}y", "x{0,3}y"), ("a\\Zb", "a$b"), ("(?<!no )luck", "luck"), ("\\d+", "[0-9]+")],
)
def test_rewrite_keeps_python_meaning(pattern: str, expected: str) -> None:
    rewritten = to_multipattern(pattern)
    assert rewritten.replace("(?:", "").replace(")", "") == expected.replace("(?:", "").replace(
        ")", ""
    )


@pytest.mark.parametrize(
    "pattern", ["(a)\\1", "(?(1)a|b)", "café", "[à-ü]", "(unclosed", "^", "\\b", "x*"]
)
def test_rewrite_refuses_what_it_cannot_keep_sound(pattern: str) -> None:
    with pytest.raises(Unsupported):
        to_multipattern(pattern)


def test_signature_hyperscan_cannot_take_is_a_candidate_everywhere() -> None:
    prefilter = FastPrefilter([["(a)\\1"], ["disk full"]])
    assert prefilter.always == frozenset({0})
    assert [list(c) for c in prefilter.candidates(["nothing", "DISK FULL", "é disk"])] == [
        [0],
        [0, 1],
        [0, 1],
    ]


def test_auto_picks_fast_when_hyperscan_imports() -> None:
    assert fast_available()
    assert create_prefilter("auto", []).kind is EngineKind.FAST


def _record(message: str, level: Level | None, logger: str | None, fmt: str) -> LogRecord:
    return LogRecord(None, level, logger, message, {}, message, fmt, "t.log", 1)


def _assert_same_hits(records: list[LogRecord]) -> None:
    reference = [ENGINES[EngineKind.PORTABLE].matcher.match_all(r) for r in records]
    for engine in ENGINES.values():
        assert engine.matcher.match_many(records) == reference
        assert [engine.matcher.match(r) for r in records] == reference


EXAMPLE_LINES = [
    line
    for signature in CATALOG.signatures
    if signature.spec.examples
    for line in (*signature.spec.examples.match, *signature.spec.examples.no_match)
]


def test_backends_agree_on_every_catalog_example() -> None:
    ctx = ParseContext.default()
    _assert_same_hits([r for line in EXAMPLE_LINES for r in parse_lines([line], ctx)])


@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from(EXAMPLE_LINES),
                st.lists(ALPHABET, max_size=40).map("".join),
                st.tuples(st.sampled_from(EXAMPLE_LINES), st.integers(0, 60), st.text()).map(
                    lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
                ),
            ),
            st.sampled_from([None, *Level]),
            st.sampled_from([None, "app", "app.db", "sshd"]),
            st.sampled_from(["python_logging", "syslog_rfc3164", "generic", "raw"]),
        ),
        max_size=20,
    )
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_backends_agree_on_random_batches(
    rows: list[tuple[str, Level | None, str | None, str]],
) -> None:
    _assert_same_hits([_record(*row) for row in rows])


@given(
    st.lists(
        st.lists(st.sampled_from([*PIECES, "\\1"]), min_size=1, max_size=4).map("".join),
        min_size=1,
        max_size=3,
    ),
    st.lists(st.lists(ALPHABET, max_size=25).map("".join), max_size=8),
)
@settings(max_examples=300, deadline=None)
def test_backends_agree_with_random_user_rules(patterns: list[str], messages: list[str]) -> None:
    # several patterns per rule, a backreference (`\1`) among the pieces
    try:
        re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error:
        return
    from loghealth.rules.compile import compile_signatures
    from loghealth.rules.loader import Signature
    from loghealth.rules.schema import SignatureSpec, Tier

    spec = SignatureSpec.model_validate(
        {"id": "r", "patterns": patterns, "severity": "error", "category": "bug", "area": "config"}
    )
    compiled, _ = compile_signatures([Signature(spec, "rules", Tier.RULE, 0, None, None)])
    from loghealth.engine import Matcher

    records = [_record(m, Level.ERROR, "app", "generic") for m in messages]
    reference = [Matcher(compiled, "portable").match_all(r) for r in records]
    for kind in ("fast", "portable"):
        assert Matcher(compiled, kind).match_many(records) == reference


@pytest.mark.realdata
def test_backends_agree_on_loghub(shared_data: Path) -> None:
    options = ScanOptions(tz=ParseContext.default().tz, now=ParseContext.default().now)
    records = [
        record
        for source in discover_inputs([str(shared_data / "loghub")])
        for record in iter_source_records(source, options)[1]
    ]
    assert len(records) > 10_000
    _assert_same_hits(records)


@given(st.text(st.characters(max_codepoint=0x2100), max_size=40))
@settings(max_examples=400, deadline=None)
def test_safe_messages_are_ascii_without_the_separators_str_calls_line_ends(text: str) -> None:
    from loghealth.engine.backends.fast import _is_safe

    assert _is_safe(text) == (re.search(r"[^\x00-\x1b\x20-\x7f]", text) is None)
