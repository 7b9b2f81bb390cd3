"""Reports: the JSON document of a scan — the shape `loghealth scan --output json` prints.

The same document will be served by the API's scan endpoint. Timestamps are ISO 8601 UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loghealth.model import Category, Finding, Severity
from loghealth.rules.loader import Catalog
from loghealth.runtime.scan import ScanResult

__all__ = ["finding_document", "iso", "scan_document"]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, or None."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def finding_document(finding: Finding, catalog: Catalog, language: str = "en") -> dict[str, Any]:
    """One finding as a JSON-ready dict, with its text in `language` (English fallback)."""
    signature = catalog.get(finding.signature_id)
    text = catalog.text(finding.signature_id, language)
    return {
        "signature_id": finding.signature_id,
        "pack": finding.pack,
        "title": text.name,
        "severity": finding.severity.label,
        "category": str(finding.category),
        "area": str(finding.area),
        "count": finding.count,
        "first_seen": iso(finding.first_seen),
        "last_seen": iso(finding.last_seen),
        "sample": finding.sample,
        "sample_line": finding.sample_line,
        "source": finding.source,
        "cause": text.cause,
        "fix": text.fix,
        "docs_url": signature.docs_url if signature else None,
    }


def scan_document(result: ScanResult, catalog: Catalog, language: str = "en") -> dict[str, Any]:
    """The whole scan report as a JSON-ready dict (see the README for the shape)."""
    findings = result.findings
    return {
        "scanned_records": result.records,
        "unparsed_lines": result.unparsed,
        "sources": [
            {
                "path": s.path,
                "format": s.format,
                "records": s.records,
                "unparsed_lines": s.unparsed,
                "health": {"score": s.health.score, "status": str(s.health.status)}
                if s.health
                else None,
            }
            for s in result.sources
        ],
        "findings": [finding_document(f, catalog, language) for f in findings],
        "summary": {
            "total": len(findings),
            "by_category": {str(c): sum(1 for f in findings if f.category is c) for c in Category},
            "by_severity": {
                s.label: sum(1 for f in findings if f.severity is s)
                for s in sorted(Severity, reverse=True)
            },
        },
        "health": {"score": result.health.score, "status": str(result.health.status)},
        "below_min_count": result.below_threshold,
        "errors": result.errors,
    }
