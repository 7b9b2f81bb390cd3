"""The per-line chain skips a parser by the line's first character only where it would fail.

Soundness: every line a parser understands starts with a character its `first_char` class
matches (over real logs, catalog examples, test fixtures and generated lines, with stateful
parsers in every state). Equivalence: the chain gives exactly what asking every parser gives,
results and most-recently-matched order alike.
"""

from __future__ import annotations

import json
import random
import re
import string
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loghealth.parsing import (
    PARSER_NAMES,
    FormatSpec,
    ParseContext,
    Parsed,
    Parser,
    clear_formats,
    create_parser,
    format_names,
    register_formats,
)
from loghealth.parsing.base import parse_line
from loghealth.parsing.chain import LineChain
from loghealth.parsing.containers import DockerJsonParser
from loghealth.parsing.generic import GenericParser
from loghealth.parsing.syslog import Rfc3164Parser
from loghealth.rules.loader import load_catalog
from tests.goldens import GOLDEN_ROOT
from tests.unit.parsing.test_quick import CONTEXTS, SEEDS

CTX = CONTEXTS[0]
FORMATS = tuple(name for name in PARSER_NAMES if name != "generic")
_CONTAINERS = frozenset(("docker_json", "journald_json"))
# Heads to put before or in place of the start of an understood line: every printable ASCII
# character, those on the edges of the classes — Unicode spaces (`\s`, `str.strip`), a digit `\d`
# takes (٣) and one only `str.isdigit` takes (²), NUL, a lone surrogate… — and the words that
# open lines: weekdays, months, level words.
_HEADS = (
    *string.printable,
    *"\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2007\u2028\u3000\ufeff",
    *"٣²①\x00\x7f\ud800éДＡ",
    *("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    *("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    *("DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL", "TRACE", "NOTSET"),
    *("[2024", "<1>", "  "),
)


def _class(parser: object) -> re.Pattern[str] | None:
    source = getattr(parser, "first_char", None)
    return None if source is None else re.compile(source)


def _states(fmt: str) -> list[Any]:
    """Fresh parsers of `fmt`; a stateful one (python_logging, log4j) once per first layout."""
    parser: Any = create_parser(fmt)
    if not hasattr(parser, "_order"):
        return [parser]
    states = []
    for shift in range(len(parser._order)):
        rotated: Any = create_parser(fmt)
        rotated._order = rotated._order[shift:] + rotated._order[:shift]
        states.append(rotated)
    return states


def _unsound(parser: Any, lines: list[str]) -> list[str]:
    """The lines `parser` understands (in some context) though `first_char` rules them out."""
    pattern = _class(parser)
    if pattern is None:
        return []
    return [
        line
        for line in lines
        if pattern.fullmatch(line[:1]) is None
        and any(parse_line(parser, line, ctx) is not None for ctx in CONTEXTS)
    ]


def _inner_lines(lines: list[str]) -> list[str]:
    """The `log` text of the Docker json-file entries among `lines` (the inner chain's input)."""
    inner = []
    for line in lines:
        if line.lstrip().startswith("{"):
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict) and isinstance(data.get("log"), str):
                inner.append(data["log"].rstrip("\r\n"))
    return inner


@cache
def _fixture_lines() -> tuple[str, ...]:
    """Catalog examples (match and no_match), golden logs and `test_quick`'s seeds."""
    lines: list[str] = list(SEEDS)
    for signature in load_catalog().signatures:
        examples = signature.spec.examples
        if examples is not None:
            lines += [*examples.match, *examples.no_match]
    for path in sorted(GOLDEN_ROOT.glob("*/*.log")):
        lines += path.read_bytes().decode("utf-8", errors="replace").split("\n")
    return tuple(lines + _inner_lines(lines))


@cache
def _real_files(shared_data: Path) -> tuple[list[str], ...]:
    """Each file of the shared data as lines, plus the sample lines of its JSON-lines indexes."""
    files = []
    for path in sorted(p for p in shared_data.rglob("*") if p.is_file()):
        lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
        files.append(lines)
        if path.suffix == ".jsonl":
            samples = [json.loads(line).get("line") for line in lines if line.strip()]
            files.append([s for s in samples if isinstance(s, str)])
    return tuple(lines + _inner_lines(lines) for lines in files)


@cache
def _accepted(fmt: str) -> tuple[str, ...]:
    """Fixture lines some state of `fmt`'s parser understands: the base of generated lines."""
    states = _states(fmt)
    return tuple(
        line
        for line in dict.fromkeys(_fixture_lines())
        if any(parse_line(parser, line, CTX) for parser in states)
    )


def _with_heads(lines: tuple[str, ...]) -> list[str]:
    """Each line with each of `_HEADS` in place of its start, of its opening word, and before it."""
    words = [head for head in _HEADS if head.isalpha() and len(head) > 1]
    opening = [next((w for w in words if line.startswith(w)), line[:1]) for line in lines]
    return [
        head + line[len(cut) :]
        for line, word in zip(lines, opening, strict=True)
        for head in _HEADS
        for cut in dict.fromkeys((line[: len(head)], word))
    ] + [head + line for line in lines for head in _HEADS]


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_built_in_parser_declares_one_character_class(fmt: str) -> None:
    pattern = _class(create_parser(fmt))
    assert pattern is not None, f"{fmt}: declare `first_char` (None only where unconstrained)"
    assert pattern.fullmatch("") is None
    assert not pattern.groups
    assert all(pattern.fullmatch(head + head) is None for head in _HEADS if len(head) == 1)
    assert _accepted(fmt), f"{fmt}: no fixture line to check the class against"


def test_whitespace_classes_match_what_str_strip_removes() -> None:
    # docker_json, journald_json and json_lines `strip()` a line and declare `[{\s]`
    text = "".join(map(chr, range(sys.maxunicode + 1)))
    spaces = "".join(char for char in text if char.isspace())
    assert "".join(re.findall(r"\s", text)) == spaces
    assert (spaces + "{" + spaces).strip() == "{"


@pytest.mark.parametrize("fmt", FORMATS)
def test_fixture_lines_keep_the_first_character_contract(fmt: str) -> None:
    lines = list(dict.fromkeys(_fixture_lines()))
    tricky = _with_heads(_accepted(fmt))
    for parser in _states(fmt):
        assert _unsound(parser, lines + tricky) == []


@pytest.mark.realdata
@pytest.mark.parametrize("fmt", FORMATS)
def test_real_logs_keep_the_first_character_contract(fmt: str, shared_data: Path) -> None:
    lines = list(dict.fromkeys(line for lines in _real_files(shared_data) for line in lines))
    for parser in _states(fmt):
        assert _unsound(parser, lines) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_printable_ascii_character_a_class_admits_opens_some_understood_line(fmt: str) -> None:
    # the other side of soundness: a class no wider than the parser needs (on printable ASCII),
    # and each character in it is one the soundness tests would catch a class forgetting
    pattern = _class(create_parser(fmt))
    assert pattern is not None
    needed = {char for char in string.printable if pattern.fullmatch(char)}
    lines = [line for line in _with_heads(_accepted(fmt)) if line[:1] in needed]
    for parser in _states(fmt):
        for line in lines:
            if line[:1] in needed and parse_line(parser, line, CTX) is not None:
                needed.discard(line[:1])
    assert needed == set(), f"{fmt}: no generated line the parser understands starts so"


_FIRST = st.one_of(st.sampled_from(_HEADS), st.characters(), st.text(max_size=3))


@given(st.sampled_from(FORMATS), st.data())
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_lines_keep_the_first_character_contract(fmt: str, data: st.DataObject) -> None:
    line = data.draw(st.sampled_from(_accepted(fmt)))
    head = data.draw(_FIRST)
    cut = data.draw(st.integers(0, 2))
    mutated = head + line[cut:]
    for parser in _states(fmt):
        assert _unsound(parser, [mutated]) == [], (fmt, mutated)


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_random_text_keeps_the_first_character_contract(line: str) -> None:
    for fmt in FORMATS:
        for parser in _states(fmt):
            assert _unsound(parser, [line]) == [], (fmt, line)


class _Reference:
    """The chain as it was before first-character skipping: every parser is asked, in order."""

    def __init__(self, parsers: list[Parser], last_resort: Parser) -> None:
        self.name = "generic"
        self.parsers = parsers
        self._last_resort = last_resort

    def parse(self, line: str, ctx: ParseContext) -> Parsed | None:
        for index, parser in enumerate(self.parsers):
            parsed = parse_line(parser, line, ctx)
            if parsed is None:
                continue
            if index:
                self.parsers.insert(0, self.parsers.pop(index))
            if parsed.format is None:
                parsed.format = parser.name
            return parsed
        parsed = parse_line(self._last_resort, line, ctx)
        if parsed is not None and parsed.format is None:
            parsed.format = self._last_resort.name
        return parsed


def _reference_chain(*, containers: bool = True) -> _Reference:
    """`line_chain()` rebuilt on `_Reference`, the Docker parser's inner chain included."""
    parsers: list[Parser] = [
        DockerJsonParser(inner=lambda: _reference_chain(containers=False))
        if name == "docker_json"
        else create_parser(name)
        for name in format_names()
        if name != "generic" and (containers or name not in _CONTAINERS)
    ]
    return _Reference(parsers, GenericParser())


def _state(parsers: tuple[Any, ...] | list[Any]) -> list[object]:
    """Each parser's name and first layout, in order; a Docker parser's inner chain too."""
    state: list[object] = []
    for parser in parsers:
        state.append((parser.name, getattr(parser, "layout", None)))
        inner = getattr(parser, "_inner", None)
        if inner is not None:
            state.append(_state(inner.parsers))
    return state


def _assert_same(lines: Iterator[str] | list[str], chain: Any = None) -> None:
    chain = chain or create_parser("generic")
    reference = _reference_chain()
    for number, line in enumerate(lines):
        got, expected = chain.parse(line, CTX), reference.parse(line, CTX)
        assert repr(got) == repr(expected), (number, line)
        assert [p.name for p in chain.parsers] == [p.name for p in reference.parsers]
    assert _state(chain.parsers) == _state(reference.parsers)


def _runs(files: list[list[str]], count: int, seed: int) -> Iterator[str]:
    """`count` lines: runs of 1-30 consecutive lines from random files (formats come in runs)."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible sequence, not a secret)
    produced = 0
    while produced < count:
        lines = rng.choice(files)
        start = rng.randrange(len(lines))
        run = lines[start : start + rng.randint(1, 30)]
        if rng.random() < 0.3:  # and single lines from anywhere
            run = [rng.choice(rng.choice(files))]
        yield from run
        produced += len(run)


def test_the_chain_gives_what_asking_every_parser_gives() -> None:
    lines = list(_fixture_lines())
    _assert_same(_runs([lines, *[[line] for line in SEEDS]], 20_000, seed=1))
    _assert_same(random.Random(2).choices(lines, k=20_000))  # noqa: S311


@pytest.mark.realdata
def test_the_chain_gives_what_asking_every_parser_gives_on_real_logs(shared_data: Path) -> None:
    files = [*_real_files(shared_data), list(_fixture_lines())]
    _assert_same(_runs(files, 40_000, seed=3))


_LINE = st.one_of(
    st.sampled_from(_fixture_lines()),
    st.tuples(st.sampled_from(_fixture_lines()), _FIRST).map(lambda pair: pair[1] + pair[0][1:]),
    st.text(max_size=60),
)


@given(st.lists(_LINE, min_size=1, max_size=40))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_sequences_give_what_asking_every_parser_gives(lines: list[str]) -> None:
    _assert_same(lines)


def test_many_first_characters_keep_the_cache_bounded() -> None:
    chain = create_parser("generic")
    assert isinstance(chain, LineChain)
    lines = [chr(0x4E00 + n) + " 2024-05-01 10:00:00 ERROR x" for n in range(5000)]
    _assert_same(lines + list(SEEDS), chain)
    assert 0 < len(chain._first_chars) <= 4096


def test_a_parser_without_a_class_is_always_asked() -> None:
    clear_formats()
    try:
        spec = FormatSpec(name="odd", patterns=(regex.compile(r"§(?P<msg>.*)"),))
        register_formats([spec])
        parsed = create_parser("generic").parse("§ hello", CTX)
        assert parsed is not None and parsed.format == "odd"
    finally:
        clear_formats()


class _TooNarrow(Rfc3164Parser):
    first_char = r"[A-Z\d]"  # wrong: forgets the optional `<PRI>`


def test_a_wrong_class_is_caught() -> None:
    line = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"
    assert _unsound(_TooNarrow(), list(_fixture_lines())) != []
    chain = LineChain("generic", [_TooNarrow()], GenericParser())
    reference = _Reference([Rfc3164Parser()], GenericParser())
    got, expected = chain.parse(line, CTX), reference.parse(line, CTX)
    assert got is not None and expected is not None
    assert (got.format, expected.format) == ("generic", "syslog_rfc3164")
