"""Engine: aggregate hits into findings per (signature, source) and apply the min_count gate.

O(1) per hit: a finding keeps its counts, first/last seen and the newest sample, plus a deque of
the last `min_count` hit times to decide whether `min_count` hits ever fell within `window_secs`.
Hits are expected roughly in time order (log order); records without a timestamp count as
falling inside any window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from loghealth.engine.redact import Redactor
from loghealth.model import Category, Finding, Hit
from loghealth.rules.loader import Signature

__all__ = ["SAMPLE_MAX_CHARS", "Aggregator", "sort_findings"]

SAMPLE_MAX_CHARS = 400
"""A finding's sample is the first line of the newest matching record, capped here with `…`."""

_CATEGORY_ORDER = {c: i for i, c in enumerate(Category)}


@dataclass(slots=True)
class _State:
    finding: Finding
    recent: deque[datetime | None]
    reported: bool = False
    newest_at: datetime | None = None
    sample_raw: str = ""


def _first_line(text: str) -> str:
    line = text.split("\n", 1)[0].rstrip("\r")
    if len(line) > SAMPLE_MAX_CHARS:
        line = line[: SAMPLE_MAX_CHARS - 1] + "…"
    return line


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Report order: category (layer8, environment, bug, security), severity desc, count desc.

    Ties break on signature id and source so the order is deterministic.
    """
    return sorted(
        findings,
        key=lambda f: (
            _CATEGORY_ORDER[f.category],
            -int(f.severity),
            -f.count,
            f.signature_id,
            f.source,
        ),
    )


class Aggregator:
    """Collects hits; `findings()` returns those whose signature's threshold was met."""

    def __init__(self, signatures: dict[str, Signature], redactor: Redactor) -> None:
        self._signatures = signatures
        self._redactor = redactor
        self._states: dict[tuple[str, str], _State] = {}

    def add(self, hit: Hit) -> None:
        """Record one hit."""
        record = hit.record
        self.add_values(
            hit.signature_id, record.source, record.timestamp, record.line, record.message
        )

    def add_values(
        self, signature_id: str, source: str, seen: datetime | None, line: int, message: str
    ) -> None:
        """Record one hit given as the values aggregation reads (`seen`: the record's time)."""
        signature = self._signatures[signature_id]
        key = (signature_id, source)
        state = self._states.get(key)
        threshold = signature.spec.threshold
        if state is None:
            finding = Finding(
                signature_id=signature.id,
                pack=signature.pack,
                severity=signature.spec.severity,
                category=signature.spec.category,
                area=signature.spec.area,
                source=source,
            )
            state = _State(finding, deque(maxlen=threshold.min_count))
            self._states[key] = state
        finding = state.finding
        finding.count += 1
        if seen is not None:
            if finding.first_seen is None or seen < finding.first_seen:
                finding.first_seen = seen
            if finding.last_seen is None or seen > finding.last_seen:
                finding.last_seen = seen
        if state.newest_at is None or seen is None or seen >= state.newest_at:
            state.newest_at = seen if seen is not None else state.newest_at
            state.sample_raw = message
            finding.sample_line = line
        state.recent.append(seen)
        if not state.reported and len(state.recent) >= threshold.min_count:
            state.reported = self._within_window(state.recent, threshold.window_secs)

    @staticmethod
    def _within_window(recent: deque[datetime | None], window_secs: int | None) -> bool:
        if window_secs is None:
            return True
        first, last = recent[0], recent[-1]
        if first is None or last is None:
            return True
        return abs((last - first).total_seconds()) <= window_secs

    def findings(self) -> list[Finding]:
        """Findings whose threshold was met, with redacted samples, in report order."""
        result = []
        for state in self._states.values():
            if state.reported:
                state.finding.sample = self._redactor.redact(_first_line(state.sample_raw))
                result.append(state.finding)
        return sort_findings(result)

    def below_threshold(self) -> dict[str, int]:
        """Hit counts of signatures that matched but never reached their min_count (per id)."""
        counts: dict[str, int] = {}
        for (signature_id, _), state in self._states.items():
            if not state.reported:
                counts[signature_id] = counts.get(signature_id, 0) + state.finding.count
        return counts
