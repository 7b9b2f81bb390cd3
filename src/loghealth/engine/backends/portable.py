"""Engine: the portable prefilter — required literals found with one Aho-Corasick pass per batch.

Needs only `ahocorasick-rs` (Rust, wheels for every major platform). A signature whose patterns
have no provable required literal (see `rules.literals`) is a candidate for every message; a
non-ASCII message makes every signature a candidate (IGNORECASE folding is then more than ASCII
lowering).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from ahocorasick_rs import BytesAhoCorasick, Implementation

from loghealth.engine.backends.base import EngineKind

__all__ = ["PortablePrefilter", "literal_automaton"]


def literal_automaton(
    literals: Sequence[tuple[str, ...] | None],
) -> tuple[BytesAhoCorasick, list[tuple[int, ...]]] | None:
    """One automaton over every signature's literals (Latin-1 bytes) and each one's owners.

    Returns None when no signature has a literal. A literal outside Latin-1 is left out: it
    cannot occur in the ASCII text (or Latin-1-read bytes) the automaton is run on.
    """
    owners: dict[bytes, list[int]] = {}
    for index, found in enumerate(literals):
        for literal in found or ():
            try:
                owners.setdefault(literal.encode("latin-1"), []).append(index)
            except UnicodeEncodeError:
                continue
    if not owners:
        return None
    automaton = BytesAhoCorasick(list(owners), implementation=Implementation.DFA)
    return automaton, [tuple(indices) for indices in owners.values()]


class PortablePrefilter:
    """Aho-Corasick over lower-cased messages, one scan per batch. Pure: no I/O."""

    kind = EngineKind.PORTABLE

    def __init__(self, literals: Sequence[tuple[str, ...] | None]) -> None:
        """Build from each signature's required literals (None: always a candidate)."""
        self._count = len(literals)
        self._always = sorted(i for i, found in enumerate(literals) if found is None)
        self._automaton = literal_automaton(literals)

    def candidates(self, messages: Sequence[str]) -> list[Sequence[int]]:
        r"""Candidate signature indices per message, ascending.

        The ASCII messages are joined with `\n` and scanned once; a literal spanning two
        messages only adds a false candidate (the confirmation drops it).
        """
        everything = range(self._count)
        if self._automaton is None:
            return [everything] * len(messages)
        automaton, owners = self._automaton
        result: list[Sequence[int]] = [
            self._always if message.isascii() else everything for message in messages
        ]
        ascii_at = [i for i, message in enumerate(messages) if message.isascii()]
        if not ascii_at:
            return result
        ends: list[int] = []
        offset = -1
        for index in ascii_at:
            offset += len(messages[index]) + 1
            ends.append(offset)
        buffer = "\n".join(messages[i] for i in ascii_at).lower().encode("ascii")
        found: dict[int, set[int]] = {}
        for pattern, _start, end in automaton.find_matches_as_indexes(buffer, overlapping=True):
            found.setdefault(bisect_left(ends, end - 1), set()).update(owners[pattern])
        for position, indices in found.items():
            result[ascii_at[position]] = sorted(indices.union(self._always))
        return result
