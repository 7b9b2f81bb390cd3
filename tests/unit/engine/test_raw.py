"""Raw-text prefilters: a message a signature matches, inside any line, marks that line."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loghealth.engine import Engine
from loghealth.engine.backends import EngineKind
from loghealth.engine.backends.fast import FastPrefilter
from loghealth.engine.backends.raw import create_raw_scanner
from loghealth.rules.compile import compile_signatures
from loghealth.rules.loader import load_catalog

CATALOG = load_catalog()
MATCHERS = {kind: Engine(CATALOG, engine=kind).matcher for kind in ("fast", "portable")}
EXAMPLES = sorted(
    {line for s in CATALOG.signatures if s.spec.examples for line in s.spec.examples.match}
)
ASCII_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)


def _marked_lines(kind: str, lines: list[str]) -> set[int]:
    data = ("\n" + "\n".join(lines) + "\n").encode()
    starts = {data.rfind(b"\n", 0, end - 1) + 1 for end in MATCHERS[kind].raw_scanner().ends(data)}
    line_starts = [i + 1 for i, byte in enumerate(data[:-1]) if byte == 0x0A]
    return {index for index, start in enumerate(line_starts) if start in starts}


@pytest.mark.parametrize("kind", ["fast", "portable"])
@given(
    messages=st.lists(
        st.tuples(ASCII_TEXT, st.one_of(st.sampled_from(EXAMPLES), ASCII_TEXT), ASCII_TEXT),
        min_size=1,
        max_size=20,
    )
)
@settings(max_examples=150, deadline=None)
def test_a_message_a_signature_matches_marks_its_line(
    kind: str, messages: list[tuple[str, str, str]]
) -> None:
    messages = [m for m in messages if m[1].isascii() and "\n" not in "".join(m)]
    lines = [before + message + after for before, message, after in messages]
    marked = _marked_lines(kind, lines)
    for index, (_, message, _) in enumerate(messages):
        if any(c.regex.search(message) for c in MATCHERS[kind].signatures):
            assert index in marked, (kind, lines[index])


def test_backends_mark_the_same_lines_on_catalog_examples() -> None:
    lines = [line for line in EXAMPLES if line.isascii() and "\n" not in line]
    lines += ["ok", "GET / HTTP/1.1 200", "nothing to see here"]
    fast = _marked_lines("fast", lines)
    assert fast == set(range(len(lines) - 3))
    assert _marked_lines("portable", lines) == fast


def test_without_a_sound_raw_prefilter_there_is_none() -> None:
    signatures = list(CATALOG.signatures[:3])
    compiled, _ = compile_signatures(signatures)
    assert create_raw_scanner(EngineKind.FAST, compiled) is not None
    nothing = create_raw_scanner(EngineKind.PORTABLE, [])
    assert nothing is not None
    assert nothing.ends(b"\nanything\n") == []
    spec = signatures[0].spec.model_copy(update={"patterns": ["(a)\\1"]})
    backref = dataclasses.replace(signatures[0], spec=spec)
    compiled, _ = compile_signatures([backref])
    assert create_raw_scanner(EngineKind.FAST, compiled) is None
    assert create_raw_scanner(EngineKind.PORTABLE, compiled) is None


def test_a_pattern_hyperscan_rejects_is_a_candidate_everywhere() -> None:
    prefilter = FastPrefilter([["disk full"], ["a{1,100000}b"]])
    assert prefilter.always == frozenset({1})
    assert [list(c) for c in prefilter.candidates(["DISK FULL", "ok"])] == [[0, 1], [1]]


@pytest.mark.parametrize("kind", ["fast", "portable"])
def test_a_scanner_for_a_format_leaves_out_signatures_that_cannot_apply_to_it(kind: str) -> None:
    matcher = MATCHERS[kind]
    scoped = [c for c in matcher.signatures if c.formats]
    assert scoped  # the catalog has format-scoped signatures (smarty's, for one)
    for log_format in ("python_logging", "smarty", "json_lines"):
        scanner = matcher.raw_scanner(log_format)
        assert scanner is not None
        for compiled in matcher.signatures:
            examples = compiled.signature.spec.examples
            lines = [
                line
                for line in (examples.match if examples else ())
                if line.isascii() and line.isprintable()
            ]
            if not lines:
                continue
            data = ("\n" + "\n".join(lines) + "\n").encode()
            marked = {data.rfind(b"\n", 0, end - 1) + 1 for end in scanner.ends(data)}
            line_starts = [i + 1 for i, byte in enumerate(data[:-1]) if byte == 0x0A]
            if not compiled.formats or log_format in compiled.formats:
                assert set(line_starts) <= marked, (log_format, compiled.signature.id)
            elif all(
                not other.regex.search(line)
                for line in lines
                for other in matcher.signatures
                if other is not compiled and (not other.formats or log_format in other.formats)
            ):
                assert not marked, (log_format, compiled.signature.id)
    assert matcher.raw_scanner("python_logging") is matcher.raw_scanner("python_logging")


@pytest.mark.parametrize("kind", ["fast", "portable"])
@given(data=st.binary(max_size=300), printable=ASCII_TEXT)
@settings(max_examples=300, deadline=None)
def test_a_byte_outside_printable_ascii_is_found(kind: str, data: bytes, printable: str) -> None:
    scanner = MATCHERS[kind].raw_scanner()
    assert scanner is not None
    expected = bool(data.translate(None, bytes(range(0x20, 0x7F)) + b"\t\n"))
    assert scanner.has_unsafe(data) == expected
    assert not scanner.has_unsafe(printable.encode() + b"\n\t")
