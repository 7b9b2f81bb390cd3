"""The scan on real third-party logs (Loghub 2k samples): parses all, finds the real fault."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.realdata

SYSTEMS = ("Apache", "HDFS", "Hadoop", "Linux", "OpenSSH", "OpenStack", "Spark", "Zookeeper")
SEVERE = {"error", "critical"}


@pytest.fixture(scope="module")
def loghub_report(shared_data: Path) -> dict[str, Any]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "loghealth",
            "scan",
            str(shared_data / "loghub"),
            "-o",
            "json",
            "--timezone",
            "UTC",
            "--fail-on",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _findings(report: dict[str, Any], system: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f"/{system}/" in f["source"]]


def test_all_16k_lines_are_read_and_parsed(loghub_report: dict[str, Any]) -> None:
    assert loghub_report["scanned_records"] == 16_000
    assert loghub_report["unparsed_lines"] == 0
    assert len(loghub_report["sources"]) == len(SYSTEMS)


def test_hadoop_network_fault_is_found(loghub_report: dict[str, Any]) -> None:
    network = [
        f
        for f in _findings(loghub_report, "Hadoop")
        if f["area"] == "network" and f["severity"] in SEVERE
    ]
    assert network, "Hadoop_2k has an injected network fault"


def test_healthy_spark_job_has_nothing_at_error_or_above(loghub_report: dict[str, Any]) -> None:
    assert [f for f in _findings(loghub_report, "Spark") if f["severity"] in SEVERE] == []


def test_openssh_brute_force_is_a_security_finding(loghub_report: dict[str, Any]) -> None:
    assert any(f["category"] == "security" for f in _findings(loghub_report, "OpenSSH"))
