"""Compiled Hyperscan databases: saved to and loaded from the on-disk cache with the same hits."""

# ruff: noqa: E402  (imports follow the skip when Hyperscan is not installed)
from __future__ import annotations

import platform
from pathlib import Path

import pytest

hyperscan = pytest.importorskip("hyperscan")

from loghealth.engine import Engine
from loghealth.engine.backends import EngineKind
from loghealth.engine.backends.hsdb import compile_database, database_key
from loghealth.model import LogRecord
from loghealth.rules.loader import load_catalog
from loghealth.runtime.cache import CACHE_DIR_ENV, DirectoryCache, default_cache

FLAGS = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE
EXPRESSIONS = [rb"disk (is )?full", rb"connection refused", rb"out of memory"]
IDS = [0, 1, 2]


class CountingCache(DirectoryCache):
    """A directory cache that counts what it was asked."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.loads: list[bool] = []
        self.saves = 0

    def load(self, key: str) -> bytes | None:
        data = super().load(key)
        self.loads.append(data is not None)
        return data

    def save(self, key: str, data: bytes) -> None:
        self.saves += 1
        super().save(key, data)


def ends(database: hyperscan.Database, data: bytes) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    database.scan(data, match_event_handler=lambda i, _s, e, _f, _c: found.append((i, e)))
    return sorted(found)


def test_the_second_compile_is_a_load_with_the_same_matches(tmp_path: Path) -> None:
    cache = CountingCache(tmp_path)
    data = b"ERROR disk full\nconnect: Connection refused\nfine\nOut of memory: kill\n"
    first = compile_database(EXPRESSIONS, IDS, [FLAGS] * 3, cache)
    second = compile_database(EXPRESSIONS, IDS, [FLAGS] * 3, cache)
    assert cache.loads == [False, True]
    assert cache.saves == 1
    assert ends(first, data) == ends(second, data) == [(0, 15), (1, 43), (2, 62)]


def test_the_key_changes_with_any_input() -> None:
    base = database_key(EXPRESSIONS, IDS, [FLAGS] * 3)
    assert base != database_key(EXPRESSIONS[:2], IDS[:2], [FLAGS] * 2)
    assert base != database_key(EXPRESSIONS, [2, 1, 0], [FLAGS] * 3)
    assert base != database_key(EXPRESSIONS, IDS, [hyperscan.HS_FLAG_CASELESS] * 3)
    assert base == database_key(list(EXPRESSIONS), list(IDS), [FLAGS] * 3)


def test_the_key_changes_with_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    base = database_key(EXPRESSIONS, IDS, [FLAGS] * 3)
    other = "x86_64" if platform.machine() == "arm64" else "arm64"  # a cache shared with a Mac
    monkeypatch.setattr("platform.machine", lambda: other)
    assert database_key(EXPRESSIONS, IDS, [FLAGS] * 3) != base


def test_a_damaged_entry_is_compiled_again_and_replaced(tmp_path: Path) -> None:
    cache = CountingCache(tmp_path)
    key = database_key(EXPRESSIONS, IDS, [FLAGS] * 3)
    cache.save(key, b"not a database")
    database = compile_database(EXPRESSIONS, IDS, [FLAGS] * 3, cache)
    assert ends(database, b"disk is full") == [(0, 12)]
    assert cache.load(key) != b"not a database"
    assert ends(compile_database(EXPRESSIONS, IDS, [FLAGS] * 3, cache), b"disk is full") == [
        (0, 12)
    ]


def test_a_cache_that_cannot_write_only_misses(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    cache = DirectoryCache(blocker / "engine")
    cache.save("abc", b"data")  # must not raise
    assert cache.load("abc") is None
    assert ends(compile_database(EXPRESSIONS, IDS, [FLAGS] * 3, cache), b"disk full") == [(0, 9)]


def test_keys_cannot_name_paths_outside_the_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="alphanumeric"):
        DirectoryCache(tmp_path).load("../etc/passwd")


def test_the_environment_names_or_turns_off_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "c"))
    cache = default_cache()
    assert cache is not None
    assert cache.directory == tmp_path / "c"
    monkeypatch.setenv(CACHE_DIR_ENV, "off")
    assert default_cache() is None


def test_an_engine_built_from_the_cache_gives_the_same_hits(tmp_path: Path) -> None:
    catalog = load_catalog()
    records = [
        LogRecord(None, None, None, line, {}, line, "generic", "t.log", n)
        for s in catalog.signatures
        if s.spec.examples
        for n, line in enumerate(s.spec.examples.match)
    ]
    cache = CountingCache(tmp_path)
    cold = Engine(catalog, engine=EngineKind.FAST, cache=cache)
    cold.matcher.raw_scanner()
    warm = Engine(catalog, engine=EngineKind.FAST, cache=cache)
    warm.matcher.raw_scanner()
    assert cache.loads == [False, False, True, True]
    assert [h and h.signature_id for h in warm.matcher.match_many(records)] == [
        h and h.signature_id for h in cold.matcher.match_many(records)
    ]
    assert any(h is not None for h in warm.matcher.match_many(records))
