"""Engine: compiling Hyperscan databases, or loading a serialized one from a cache.

Compiling the catalog's few hundred expressions costs about 0.4 s per database; loading a
serialized one (`hyperscan.dumpb`/`loadb`) costs milliseconds. The engine stays free of I/O:
the caller passes a `DatabaseCache` (the runtime's keeps files in the user's cache directory),
and a cache that fails to load or save only costs the compilation.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from collections.abc import Sequence
from importlib.metadata import version

import hyperscan

from loghealth.engine.backends.base import DatabaseCache

__all__ = ["compile_database", "database_key"]

_KEY_VERSION = b"loghealth-hsdb-1"


def database_key(expressions: Sequence[bytes], ids: Sequence[int], flags: Sequence[int]) -> str:
    """A sha256 hex key of everything a block-mode database is compiled from.

    The Hyperscan library version and the platform are part of the key: a serialized database
    only loads into the version and platform that wrote it (a cache directory shared between
    an x86_64 and an arm64 machine keeps one database for each).
    """
    digest = hashlib.sha256(_KEY_VERSION)
    digest.update(f"{version('hyperscan')}\x00{sys.platform}\x00{platform.machine()}".encode())
    for expression, identifier, flag in zip(expressions, ids, flags, strict=True):
        digest.update(b"%d\x00%d\x00%d\x00" % (identifier, flag, len(expression)))
        digest.update(expression)
    return digest.hexdigest()


def compile_database(
    expressions: Sequence[bytes],
    ids: Sequence[int],
    flags: Sequence[int],
    cache: DatabaseCache | None = None,
) -> hyperscan.Database:
    """A block-mode database of `expressions`, loaded from `cache` when it holds one.

    Raises:
        hyperscan.error: an expression does not compile (nothing is cached then).
    """
    key = database_key(expressions, ids, flags) if cache is not None else ""
    if cache is not None:
        data = cache.load(key)
        if data is not None:
            try:
                loaded = hyperscan.loadb(bytes(data), hyperscan.HS_MODE_BLOCK)
                loaded.scratch = hyperscan.Scratch(loaded)  # as `compile` leaves one
                return loaded
            except (hyperscan.error, TypeError, ValueError):
                pass  # written by another build, or damaged: compile again and overwrite
    database = hyperscan.Database()
    database.compile(expressions=list(expressions), ids=list(ids), flags=list(flags))
    if cache is not None:
        cache.save(key, bytes(hyperscan.dumpb(database)))
    return database
