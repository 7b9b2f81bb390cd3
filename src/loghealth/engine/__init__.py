"""Engine stage (pure): matching, gating, aggregation into findings, redaction, health score."""

from loghealth.engine.aggregate import Aggregator, sort_findings
from loghealth.engine.core import Engine
from loghealth.engine.match import Gate, Matcher, Verdict
from loghealth.engine.redact import Redactor
from loghealth.engine.score import health_score, status_for

__all__ = [
    "Aggregator",
    "Engine",
    "Gate",
    "Matcher",
    "Redactor",
    "Verdict",
    "health_score",
    "sort_findings",
    "status_for",
]
