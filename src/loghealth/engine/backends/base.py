"""Engine: the prefilter contract — which signatures can possibly match each message.

A prefilter never decides a hit: it returns *candidates*, a superset of the signatures whose
pattern `re` would find in a message. The `Matcher` gates and confirms every candidate with `re`,
so any two sound prefilters give identical hits; they differ only in speed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Protocol

__all__ = ["DatabaseCache", "EngineKind", "Prefilter"]


class EngineKind(enum.StrEnum):
    """Which prefilter to use: `auto` picks `fast` when Hyperscan is installed, else `portable`."""

    AUTO = "auto"
    FAST = "fast"
    PORTABLE = "portable"


class Prefilter(Protocol):
    """Finds candidate signatures for a batch of messages.

    Signatures are numbered by their position in the list the prefilter was built from.
    """

    kind: EngineKind

    def candidates(self, messages: Sequence[str]) -> list[Sequence[int]]:
        """Return, for each message, the ascending indices of its candidate signatures."""
        ...


class DatabaseCache(Protocol):
    """Bytes by key: where serialized databases are kept between runs and processes."""

    def load(self, key: str) -> bytes | None:
        """The bytes saved under `key`, or None (missing or unreadable)."""
        ...

    def save(self, key: str, data: bytes) -> None:
        """Keep `data` under `key`; must not raise (a cache that cannot write is only slow)."""
        ...
