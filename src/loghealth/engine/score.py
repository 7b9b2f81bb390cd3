"""Engine: the 0-100 health score of a set of findings, and its status band.

Formula (documented in docs/health.md): every finding costs `weight(severity) × volume(count)`
points, where weight is critical 30, error 12, warning 3, info 1, and
`volume(count) = min(2, 1 + log10(count) / 2)` — one hit costs the weight, 100 hits cost double, and
no finding costs more than double. Score = max(0, round(100 − Σ cost)). Status: healthy ≥ 90,
warning ≥ 70, degraded ≥ 50, critical < 50.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from loghealth.model import Finding, HealthScore, HealthStatus, Severity

__all__ = ["SEVERITY_WEIGHTS", "health_score", "status_for"]

SEVERITY_WEIGHTS: dict[Severity, float] = {
    Severity.CRITICAL: 30.0,
    Severity.ERROR: 12.0,
    Severity.WARNING: 3.0,
    Severity.INFO: 1.0,
}


def status_for(score: int) -> HealthStatus:
    """Status band of a 0-100 score."""
    if score >= 90:
        return HealthStatus.HEALTHY
    if score >= 70:
        return HealthStatus.WARNING
    if score >= 50:
        return HealthStatus.DEGRADED
    return HealthStatus.CRITICAL


def health_score(findings: Iterable[Finding]) -> HealthScore:
    """Score a set of findings (no findings: 100, healthy)."""
    cost = 0.0
    for finding in findings:
        volume = min(2.0, 1.0 + math.log10(max(finding.count, 1)) / 2.0)
        cost += SEVERITY_WEIGHTS[finding.severity] * volume
    score = max(0, round(100.0 - cost))
    return HealthScore(score=score, status=status_for(score))
