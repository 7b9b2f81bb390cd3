"""Engine: match a record against the compiled catalog; at most one hit per record.

Candidates are tried most specific first (user rules > app packs > generic; narrowed by logger
or format > not). A prefilter backend (`engine.backends`: Hyperscan when installed, else an
Aho-Corasick literal pass) names the signatures that can possibly match a message, so most records
cost one shared pass, not a regex per signature. The first candidate that passes every gate and
whose pattern `re` finds in the message wins — the backend only decides speed, never the hit.
A user rule's search that runs past its time budget (`rules.compile.BudgetedPattern`) counts as
not found, and is counted in `Matcher.timeouts`.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from loghealth.engine.backends import DatabaseCache, EngineKind, Prefilter, create_prefilter
from loghealth.engine.backends.raw import RawScanner, create_raw_scanner
from loghealth.model import Hit, LogRecord
from loghealth.rules.compile import RULE_SEARCH_BUDGET_SECS, CompiledSignature

__all__ = ["Gate", "Matcher", "Verdict"]


class Gate(enum.StrEnum):
    """Why a signature did or did not count for a record."""

    PASSED = "passed"
    NO_MATCH = "pattern not found"
    FORMAT = "format gate"
    LEVEL = "level gate"
    LOGGER = "logger gate"
    BELOW_MIN_COUNT = "below min_count"
    TIMEOUT = "search time budget exceeded"


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


def _may_apply(compiled: CompiledSignature, log_format: str) -> bool:
    """False when the signature's format gate refuses every record of `log_format`."""
    return not compiled.formats or log_format in compiled.formats


def _passes(compiled: CompiledSignature, record: LogRecord) -> bool:
    """`_gate(...)[0] is Gate.PASSED`, without building the explanation (the hot path)."""
    if compiled.formats and record.format not in compiled.formats:
        return False
    minimum = compiled.signature.min_level
    if minimum is not None and record.level is not None and record.level < minimum:
        return False
    prefix = compiled.signature.spec.logger_prefix
    return not prefix or (record.logger or "").startswith(prefix)


class Matcher:
    """Picks the winning signature for each record. No I/O; pure but for user rules' budget.

    A user rule whose search in a message runs out of time (`rules.compile.BudgetedPattern`)
    does not match that record; `timeouts` counts such searches per signature id.

    `engine` chooses the prefilter (`auto`, `fast`, `portable`; see `EngineKind`). Batches
    (`match_many`) let the fast backend scan many messages in one call. `cache` keeps the fast
    backend's compiled databases between runs and processes.

    Raises:
        loghealth.engine.backends.EngineUnavailableError: `fast` asked for without Hyperscan.
    """

    def __init__(
        self,
        compiled: list[CompiledSignature],
        engine: EngineKind | str = EngineKind.AUTO,
        cache: DatabaseCache | None = None,
    ) -> None:
        self._compiled = sorted(compiled, key=lambda c: c.specificity, reverse=True)
        self._cache = cache
        self._prefilter: Prefilter = create_prefilter(engine, self._compiled, cache)
        self._raw: RawScanner | bool | None = False  # False: not built yet
        self._raw_by_format: dict[str, RawScanner] = {}
        self.timeouts: Counter[str] = Counter()

    @property
    def engine(self) -> EngineKind:
        """The prefilter backend in use (`fast` or `portable`)."""
        return self._prefilter.kind

    @property
    def cache(self) -> DatabaseCache | None:
        """Where compiled databases are kept between runs (None: compiled every time)."""
        return self._cache

    @property
    def signatures(self) -> list[CompiledSignature]:
        """The compiled signatures, most specific first."""
        return list(self._compiled)

    def raw_scanner(self, log_format: str | None = None) -> RawScanner | None:
        """The backend's prefilter over raw log text (built on first use), for lazy scanning.

        With `log_format`, it reports only the signatures that can hit a record of that format
        (`applies_to.formats`): where a line's record surely has that format, a match of another
        signature cannot make it a hit. None when some signature cannot be prefiltered on raw
        text (see `create_raw_scanner`).
        """
        if self._raw is False:
            self._raw = create_raw_scanner(self._prefilter.kind, self._compiled, self._cache)
        if isinstance(self._raw, bool) or self._raw is None:
            return None
        if log_format is None:
            return self._raw
        scanner = self._raw_by_format.get(log_format)
        if scanner is None:
            kept = [i for i, c in enumerate(self._compiled) if _may_apply(c, log_format)]
            scanner = self._raw if len(kept) == len(self._compiled) else self._raw.only(kept)
            self._raw_by_format[log_format] = scanner
        return scanner

    def take_timeouts(self) -> Counter[str]:
        """The searches that ran out of time per signature id since the last call; resets them."""
        taken, self.timeouts = self.timeouts, Counter()
        return taken

    def _first(self, record: LogRecord, candidates: Sequence[int]) -> Hit | None:
        for index in candidates:
            compiled = self._compiled[index]
            if _passes(compiled, record):
                try:
                    found = compiled.regex.search(record.message)
                except TimeoutError:
                    self.timeouts[compiled.signature.id] += 1
                    continue
                if found:
                    return Hit(compiled.signature.id, record)
        return None

    def match(self, record: LogRecord) -> Hit | None:
        """Return the hit of the most specific signature that passes all gates, or None."""
        return self._first(record, self._prefilter.candidates([record.message])[0])

    def match_many(self, records: Sequence[LogRecord]) -> list[Hit | None]:
        """`match` for each record, in order, with one prefilter pass over the whole batch."""
        candidates = self._prefilter.candidates([record.message for record in records])
        return [self._first(r, c) for r, c in zip(records, candidates, strict=True)]

    def match_all(self, record: LogRecord) -> Hit | None:
        """`match` without any prefilter: every signature is tried (the reference for tests)."""
        return self._first(record, range(len(self._compiled)))

    def explain(self, record: LogRecord) -> list[Verdict]:
        """Every signature whose pattern is found in the record, with the gate that decided it.

        A user rule whose search ran out of time gets `Gate.TIMEOUT` (and is not counted in
        `timeouts`: an explanation is not a scan).
        """
        verdicts = []
        for compiled in self._compiled:
            try:
                found = compiled.regex.search(record.message)
            except TimeoutError:
                detail = (
                    f"gave up after {RULE_SEARCH_BUDGET_SECS * 1000:.0f} ms; simplify the pattern"
                )
                verdicts.append(Verdict(compiled.signature.id, Gate.TIMEOUT, detail))
                continue
            if found is None:
                continue
            gate, detail = _gate(compiled, record)
            verdicts.append(Verdict(compiled.signature.id, gate, detail))
        return verdicts
