"""Engine: records in, hits and findings out. Pure — no I/O, no clock, no global state.

(But for user rules' search time budget: see `Engine.search_timeouts`.)

The same `Engine` serves `scan` and (later) `serve` and scale-out workers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from loghealth.engine.aggregate import Aggregator
from loghealth.engine.backends import DatabaseCache, EngineKind
from loghealth.engine.match import Matcher
from loghealth.engine.redact import Redactor
from loghealth.model import Finding, Hit, LogRecord
from loghealth.rules.compile import RULE_SEARCH_BUDGET_SECS, compile_signatures
from loghealth.rules.loader import Catalog

__all__ = ["CompactHit", "Engine", "compact_hit"]

CompactHit = tuple[str, datetime | None, int, str]
"""A hit as aggregation needs it: (signature id, record time, line, message). Plain tuples
cross process boundaries ~20x cheaper than `Hit` objects (pickling)."""


def compact_hit(hit: Hit) -> CompactHit:
    """The values of `hit` that `Engine.absorb` aggregates."""
    record = hit.record
    return (hit.signature_id, record.timestamp, record.line, record.message)


class Engine:
    """Matches records against a catalog and aggregates the hits into findings.

    `errors` lists catalog entries that did not compile (they are left out, not fatal).
    `search_timeouts` counts, per user rule, the searches that ran out of their time budget
    (those records did not hit it); `timeout_errors` words them for a report.
    `engine` picks the matcher's prefilter backend (`auto`, `fast`, `portable`); hits never
    depend on it. `cache` keeps compiled databases between runs (`backends.DatabaseCache`).

    Raises:
        loghealth.engine.backends.EngineUnavailableError: `fast` asked for without Hyperscan.
    """

    def __init__(
        self,
        catalog: Catalog,
        redactor: Redactor | None = None,
        engine: EngineKind | str = EngineKind.AUTO,
        cache: DatabaseCache | None = None,
    ) -> None:
        self.catalog = catalog
        self.redactor = redactor or Redactor()
        compiled, self.errors = compile_signatures(catalog.signatures)
        self.matcher = Matcher(compiled, engine, cache)
        self.aggregator = Aggregator({s.id: s for s in catalog.signatures}, self.redactor)
        self.records_count = 0
        self.unparsed_count = 0
        self.hits_by_signature: Counter[str] = Counter()
        self.search_timeouts: Counter[str] = Counter()

    def feed(self, record: LogRecord) -> Hit | None:
        """Match one record; aggregate and return its hit, if any."""
        self.records_count += 1
        if record.is_unparsed:
            self.unparsed_count += 1
        hit = self.matcher.match(record)
        if self.matcher.timeouts:
            self.search_timeouts.update(self.matcher.take_timeouts())
        if hit is not None:
            self.hits_by_signature[hit.signature_id] += 1
            self.aggregator.add(hit)
        return hit

    def feed_many(self, records: Sequence[LogRecord]) -> list[Hit | None]:
        """`feed` for each record, in order, matched as one batch (one prefilter pass)."""
        hits = self.matcher.match_many(records)
        if self.matcher.timeouts:
            self.search_timeouts.update(self.matcher.take_timeouts())
        self.records_count += len(records)
        self.unparsed_count += sum(record.is_unparsed for record in records)
        for hit in hits:
            if hit is not None:
                self.hits_by_signature[hit.signature_id] += 1
                self.aggregator.add(hit)
        return hits

    def absorb(
        self,
        records_count: int,
        unparsed_count: int,
        source: str = "",
        hits: Iterable[CompactHit] = (),
        timeouts: Mapping[str, int] | None = None,
    ) -> None:
        """Count records matched elsewhere (a worker process) and aggregate their hits in order.

        `hits` are `compact_hit` tuples of records of `source`; `timeouts` the searches that ran
        out of time there (`Matcher.take_timeouts`). Feeding records here, or matching them in a
        worker and absorbing the counts, hits and timeouts in source order, leaves the engine in
        the same state.
        """
        self.records_count += records_count
        self.unparsed_count += unparsed_count
        if timeouts:
            self.search_timeouts.update(timeouts)
        add = self.aggregator.add_values
        for signature_id, seen, line, message in hits:
            self.hits_by_signature[signature_id] += 1
            add(signature_id, source, seen, line, message)

    def timeout_errors(self) -> list[str]:
        """One message per user rule some of whose searches ran out of time, by id."""
        budget = f"{RULE_SEARCH_BUDGET_SECS * 1000:.0f} ms"
        return [
            f"{signature_id}: {count:,} search(es) gave up after {budget} and did not count as "
            "hits; simplify the pattern (a repeat of branches that can match the same text, "
            "like (a|aa)*, backtracks exponentially)"
            for signature_id, count in sorted(self.search_timeouts.items())
        ]

    def findings(self) -> list[Finding]:
        """Findings whose thresholds were met, redacted, in report order."""
        return self.aggregator.findings()
