"""Engine: records in, hits and findings out. Pure — no I/O, no clock, no global state.

The same `Engine` serves `scan` and (later) `serve` and scale-out workers.
"""

from __future__ import annotations

from collections import Counter

from loghealth.engine.aggregate import Aggregator
from loghealth.engine.match import Matcher
from loghealth.engine.redact import Redactor
from loghealth.model import Finding, Hit, LogRecord
from loghealth.rules.compile import compile_signatures
from loghealth.rules.loader import Catalog

__all__ = ["Engine"]


class Engine:
    """Matches records against a catalog and aggregates the hits into findings.

    `errors` lists catalog entries that did not compile (they are left out, not fatal).
    """

    def __init__(self, catalog: Catalog, redactor: Redactor | None = None) -> None:
        self.catalog = catalog
        self.redactor = redactor or Redactor()
        compiled, self.errors = compile_signatures(catalog.signatures)
        self.matcher = Matcher(compiled)
        self.aggregator = Aggregator({s.id: s for s in catalog.signatures}, self.redactor)
        self.records_count = 0
        self.unparsed_count = 0
        self.hits_by_signature: Counter[str] = Counter()

    def feed(self, record: LogRecord) -> Hit | None:
        """Match one record; aggregate and return its hit, if any."""
        self.records_count += 1
        if record.is_unparsed:
            self.unparsed_count += 1
        hit = self.matcher.match(record)
        if hit is not None:
            self.hits_by_signature[hit.signature_id] += 1
            self.aggregator.add(hit)
        return hit

    def findings(self) -> list[Finding]:
        """Findings whose thresholds were met, redacted, in report order."""
        return self.aggregator.findings()
