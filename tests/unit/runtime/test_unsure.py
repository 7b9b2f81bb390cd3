"""PCRE2 (JIT) and `re` find the same unsure lines for every quick pattern."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loghealth.parsing import quick
from loghealth.runtime import lazy
from loghealth.runtime.lazy import UnsureFinder
from tests.unit.parsing.test_quick import SEEDS

pcre2 = pytest.importorskip("pcre2", reason="the pcre2 package (an optional speed-up) is absent")

SOURCES = sorted(
    {
        *quick._PYTHON.values(),
        *quick._LOG4J.values(),
        *quick._STATELESS.values(),
        *quick._FOLDING.values(),
    }
)


def _both(source: bytes | None, data: bytes) -> tuple[list[int], list[int]]:
    finder = UnsureFinder(source)
    assert finder.jit is not None, source  # PCRE2 takes every quick pattern
    fast = list(finder.starts(data, 0, len(data) - 1))
    slow = [m.start() for m in finder.regex.finditer(data, 0, len(data) - 1)]
    return fast, slow


def _block(lines: list[str]) -> bytes:
    return b"\n" + "".join(f"{line}\n" for line in lines).encode("utf-8", "replace")


@pytest.mark.parametrize("index", range(len(SOURCES)))
def test_seed_lines_are_unsure_alike(index: int) -> None:
    data = _block(SEEDS * 2)
    fast, slow = _both(SOURCES[index], data)
    assert fast == slow
    assert 0 < len(slow) < data.count(b"\n")


_PIECES = st.sampled_from(
    [*"0123456789 -:[]{}\",.|<>TZ+/=\t\\'", "ERROR", "INFO", "level=", "msg=", "Jan", "2024-05-01",
     "10:00:00", ",123", "true", "null", "\u00e9", "9" * 70]
)  # fmt: skip


@given(
    st.lists(st.tuples(st.sampled_from(SEEDS), st.integers(0, 120), _PIECES), max_size=30),
    st.integers(0, len(SOURCES) - 1),
)
@settings(max_examples=300, deadline=None)
def test_mutated_blocks_are_unsure_alike(edits: list[tuple[str, int, str]], index: int) -> None:
    lines = [seed[:at] + piece + seed[at + 1 :] for seed, at, piece in edits]
    fast, slow = _both(SOURCES[index], _block(lines))
    assert fast == slow


def test_real_logs_are_unsure_alike(shared_data: Path) -> None:
    paths = sorted(p for p in shared_data.rglob("*") if p.is_file() and p.stat().st_size < 2e6)
    assert paths
    for path in paths[:: max(1, len(paths) // 40)]:
        data = b"\n" + path.read_bytes()
        if not data.endswith(b"\n"):
            data += b"\n"
        for source in SOURCES:
            fast, slow = _both(source, data)
            assert fast == slow, (path, source[:60])


class _GivesUp:
    """A PCRE2 pattern that finds the first match, then hits its match limit."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def finditer(self, data: bytes, pos: int, endpos: int) -> Iterator[Any]:
        found = self.real.finditer(data, pos, endpos)
        yield next(found)
        raise pcre2.LibraryError(-47)  # PCRE2_ERROR_MATCHLIMIT


def test_re_takes_over_where_pcre2_gives_up() -> None:
    source = quick._STATELESS[next(iter(quick._STATELESS))]
    finder = UnsureFinder(source)
    data = _block(SEEDS)
    expected = [m.start() for m in finder.regex.finditer(data, 0, len(data) - 1)]
    finder.jit = _GivesUp(finder.jit)
    assert list(finder.starts(data, 0, len(data) - 1)) == expected
    assert len(expected) > 1


def test_without_pcre2_re_alone_finds_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lazy, "USE_PCRE2", False)
    finder = UnsureFinder(quick._PYTHON["dash"])
    assert finder.jit is None
    data = _block(SEEDS)
    unsure = re.compile(rb"\n(?!(?:" + quick._PYTHON["dash"] + rb"))", re.MULTILINE)
    expected = [m.start() for m in unsure.finditer(data[:-1])]
    assert list(finder.starts(data, 0, len(data) - 1)) == expected
    assert expected
