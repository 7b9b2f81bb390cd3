"""Engine: match a record against the compiled catalog; at most one hit per record.

Candidates are tried most specific first (user rules > app packs > generic; narrowed by logger
or format > not). Only signatures whose required literals (see `rules.literals`) occur in the
message are candidates, so most records cost one prefilter pass, not a regex per signature. The
first candidate that passes every gate and whose pattern is found in the message wins.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from loghealth.model import Hit, LogRecord
from loghealth.rules.compile import CompiledSignature

__all__ = ["Gate", "Matcher", "Verdict"]


class Gate(enum.StrEnum):
    """Why a signature did or did not count for a record."""

    PASSED = "passed"
    NO_MATCH = "pattern not found"
    FORMAT = "format gate"
    LEVEL = "level gate"
    LOGGER = "logger gate"
    BELOW_MIN_COUNT = "below min_count"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One signature's outcome for one record (for `catalog test` and `rules test`)."""

    signature_id: str
    gate: Gate
    detail: str = ""


def _gate(compiled: CompiledSignature, record: LogRecord) -> tuple[Gate, str]:
    signature = compiled.signature
    if compiled.formats and record.format not in compiled.formats:
        return Gate.FORMAT, f"record format {record.format} not in {sorted(compiled.formats)}"
    minimum = signature.min_level
    if minimum is not None and record.level is not None and record.level < minimum:
        return Gate.LEVEL, f"level {record.level.name} below {minimum.name}"
    prefix = signature.spec.logger_prefix
    if prefix and not (record.logger or "").startswith(prefix):
        return Gate.LOGGER, f"logger {record.logger!r} does not start with {prefix!r}"
    return Gate.PASSED, ""


class Matcher:
    """Picks the winning signature for each record. Pure: no I/O, no clock.

    The prefilter is one Aho-Corasick pass (pyahocorasick) over the lower-cased message that finds
    which signatures' required literals occur; only those (and signatures without literals) are
    gated and regex-searched, in specificity order.
    """

    def __init__(self, compiled: list[CompiledSignature]) -> None:
        self._compiled = sorted(compiled, key=lambda c: c.specificity, reverse=True)
        self._always = [i for i, c in enumerate(self._compiled) if c.literals is None]
        self._automaton: ahocorasick.Automaton | None = None
        owners: dict[str, list[int]] = {}
        for index, item in enumerate(self._compiled):
            for literal in item.literals or ():
                owners.setdefault(literal, []).append(index)
        if owners:
            self._automaton = ahocorasick.Automaton()
            for literal, indices in owners.items():
                self._automaton.add_word(literal, tuple(indices))
            self._automaton.make_automaton()

    @property
    def signatures(self) -> list[CompiledSignature]:
        """The compiled signatures, most specific first."""
        return list(self._compiled)

    def _candidates(self, message: str) -> Iterable[int]:
        # Exact only where IGNORECASE folding is plain ASCII lowering: otherwise try every one.
        if self._automaton is None or not message.isascii():
            return range(len(self._compiled))
        found = set(self._always)
        for _, indices in self._automaton.iter(message.lower()):
            found.update(indices)
        return sorted(found)

    def match(self, record: LogRecord) -> Hit | None:
        """Return the hit of the most specific signature that passes all gates, or None."""
        for index in self._candidates(record.message):
            compiled = self._compiled[index]
            gate, _ = _gate(compiled, record)
            if gate is Gate.PASSED and compiled.regex.search(record.message):
                return Hit(compiled.signature.id, record)
        return None

    def explain(self, record: LogRecord) -> list[Verdict]:
        """Every signature whose pattern is found in the record, with the gate that decided it."""
        verdicts = []
        for compiled in self._compiled:
            if compiled.regex.search(record.message) is None:
                continue
            gate, detail = _gate(compiled, record)
            verdicts.append(Verdict(compiled.signature.id, gate, detail))
        return verdicts
