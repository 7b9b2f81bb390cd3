"""Engine: the portable prefilter — required literals found with one Aho-Corasick pass per message.

Needs only `pyahocorasick` (wheels everywhere). A signature whose patterns have no provable
required literal (see `rules.literals`) is a candidate for every message; a non-ASCII message
makes every signature a candidate (IGNORECASE folding is then more than ASCII lowering).
"""

from __future__ import annotations

from collections.abc import Sequence

import ahocorasick

from loghealth.engine.backends.base import EngineKind

__all__ = ["PortablePrefilter"]


class PortablePrefilter:
    """Aho-Corasick over lower-cased messages. Pure: no I/O."""

    kind = EngineKind.PORTABLE

    def __init__(self, literals: Sequence[tuple[str, ...] | None]) -> None:
        """Build from each signature's required literals (None: always a candidate)."""
        self._count = len(literals)
        self._always = frozenset(i for i, found in enumerate(literals) if found is None)
        self._automaton: ahocorasick.Automaton | None = None
        owners: dict[str, list[int]] = {}
        for index, found in enumerate(literals):
            for literal in found or ():
                owners.setdefault(literal, []).append(index)
        if owners:
            self._automaton = ahocorasick.Automaton()
            for literal, indices in owners.items():
                self._automaton.add_word(literal, tuple(indices))
            self._automaton.make_automaton()

    def _one(self, message: str) -> Sequence[int]:
        if self._automaton is None or not message.isascii():
            return range(self._count)
        found = set(self._always)
        for _, indices in self._automaton.iter(message.lower()):
            found.update(indices)
        return sorted(found)

    def candidates(self, messages: Sequence[str]) -> list[Sequence[int]]:
        """Candidate signature indices per message, ascending."""
        return [self._one(message) for message in messages]
