"""API: `/metrics` in the Prometheus text format (0.0.4), built with `prometheus_client`.

Values are read from the store at scrape time (committed counters: at most one stats interval
old) through a collector on a private registry, so nothing global is touched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from loghealth.engine import health_score
from loghealth.model import Finding, Severity
from loghealth.runtime.pipeline import Pipeline
from loghealth.store.queries import FindingFilter, FindingReader
from loghealth.store.repository import Store

__all__ = ["StoreCollector", "render_metrics"]


class StoreCollector(Collector):
    """Records, hits, drops, lag and health per source; findings by state and severity."""

    def __init__(self, store: Store, now: datetime, pipeline: Pipeline | None = None) -> None:
        self.store = store
        self.now = now
        self.pipeline = pipeline

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family (names `loghealth_<noun>_<unit>`)."""
        rows = self.store.sources()
        findings = FindingReader(self.store.engine).all(FindingFilter())
        records = CounterMetricFamily("loghealth_records_read", "records read", labels=["source"])
        hits = CounterMetricFamily("loghealth_hits", "counted hits", labels=["source"])
        drops = CounterMetricFamily(
            "loghealth_drops", "lines or hits dropped", labels=["source", "reason"]
        )
        lag = GaugeMetricFamily(
            "loghealth_source_lag_seconds", "now minus the newest record time", labels=["source"]
        )
        health = GaugeMetricFamily("loghealth_source_health_score", "0-100", labels=["source"])
        active: dict[str, list[Finding]] = {}
        for stored in findings:
            if stored.state.is_active:
                active.setdefault(stored.finding.source, []).append(stored.finding)
        for row in rows:
            records.add_metric([row.id], float(row.records_read))
            hits.add_metric([row.id], float(row.hits))
            for reason, count in sorted((row.drops or {}).items()):
                drops.add_metric([row.id, str(reason)], float(count))
            if row.last_record_at is not None:
                lag.add_metric([row.id], (self.now - row.last_record_at).total_seconds())
            health.add_metric([row.id], float(health_score(active.get(row.id, [])).score))
        by_state = GaugeMetricFamily(
            "loghealth_findings", "stored findings", labels=["state", "severity"]
        )
        counted = Counter((str(s.state), s.finding.severity.label) for s in findings)
        for severity in Severity:
            for state in ("open", "regressed", "resolved", "ignored", "snoozed"):
                by_state.add_metric(
                    [state, severity.label], float(counted[(state, severity.label)])
                )
        overall = GaugeMetricFamily("loghealth_health_score", "overall health 0-100")
        overall.add_metric([], float(health_score(f for fs in active.values() for f in fs).score))
        yield from (records, hits, drops, lag, health, by_state, overall)
        if self.pipeline is not None:
            bus = CounterMetricFamily(
                "loghealth_bus_dropped_events", "events a slow subscriber lost"
            )
            bus.add_metric([], float(self.pipeline.bus.dropped))
            yield bus


def render_metrics(store: Store, now: datetime, pipeline: Pipeline | None = None) -> bytes:
    """The exposition text of `StoreCollector` (blocking: run it in a thread)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, now, pipeline))
    return generate_latest(registry)
