"""Engine: the prefilter contract — which signatures can possibly match each message.

A prefilter never decides a hit: it returns *candidates*, a superset of the signatures whose
pattern `re` would find in a message. The `Matcher` gates and confirms every candidate with `re`,
so any two sound prefilters give identical hits; they differ only in speed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Protocol

__all__ = ["EngineKind", "Prefilter"]


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
