"""`POST /api/v1/scan`: the answer is the JSON `loghealth scan --output json` prints."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from loghealth.settings import Settings
from tests.api.conftest import Api, make_settings, run_api

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "logs" / "bambuddy" / "bambuddy.log"
PROBLEM = "application/problem+json"


def _cli_json(settings: Settings) -> dict:
    command = [
        sys.executable, "-m", "loghealth", "scan", str(EXAMPLE), "--output", "json",
        "--timezone", "UTC", "--fail-on", "none",
    ]  # fmt: skip
    for rules in settings.rules:
        command += ["--rules", str(rules)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_upload_gives_the_cli_json(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, packs=None)
    expected = _cli_json(settings)
    assert len(expected["findings"]) >= 3

    async def scenario(api: Api) -> None:
        viewer = api.auth("viewer")
        raw = await api.http.post(
            "/api/v1/scan", params={"name": str(EXAMPLE)}, content=EXAMPLE.read_bytes(),
            headers={**viewer, "Content-Type": "text/plain"},
        )  # fmt: skip
        assert raw.status_code == 200, raw.text
        assert raw.json() == expected

        files = {"file": ("bambuddy.log", EXAMPLE.read_bytes(), "text/plain")}
        form = await api.http.post("/api/v1/scan", files=files, headers=viewer)
        assert form.status_code == 200, form.text
        document = form.json()
        assert document["sources"][0]["path"] == "bambuddy.log"
        strip = {"source"}
        assert [{k: v for k, v in f.items() if k not in strip} for f in document["findings"]] == [
            {k: v for k, v in f.items() if k not in strip} for f in expected["findings"]
        ]
        assert document["summary"] == expected["summary"]

        packed = await api.http.post(
            "/api/v1/scan", params={"name": str(EXAMPLE)},
            content=gzip.compress(EXAMPLE.read_bytes()), headers=viewer,
        )  # fmt: skip
        assert packed.json()["findings"] == expected["findings"]

    run_api(settings, scenario, with_pipeline=False)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_upload_limits_and_errors(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, api={"max_body_bytes": 4000})

    async def scenario(api: Api) -> None:
        viewer = api.auth("viewer")
        big = await api.http.post("/api/v1/scan", content=b"x\n" * 3000, headers=viewer)
        assert big.status_code == 413 and big.headers["content-type"] == PROBLEM
        bad_format = await api.http.post(
            "/api/v1/scan", params={"format": "nope"}, content=b"x\n", headers=viewer
        )
        assert bad_format.status_code == 400 and bad_format.headers["content-type"] == PROBLEM
        no_file = await api.http.post(
            "/api/v1/scan", files={"other": ("a.log", b"x\n")}, headers=viewer
        )
        assert no_file.status_code == 400 and "file" in no_file.json()["detail"]
        empty = await api.http.post("/api/v1/scan", content=b"", headers=viewer)
        assert empty.status_code == 200 and empty.json()["scanned_records"] == 0
        boom = await api.http.post(
            "/api/v1/scan", params={"format": "python_logging"},
            content=b"2024-05-01 10:00:00,000 ERROR app: BOOM 7\n", headers=viewer,
        )  # fmt: skip
        assert [f["signature_id"] for f in boom.json()["findings"]] == ["boom"]
        assert boom.json()["sources"][0]["path"] == "upload"
        assert (await api.http.post("/api/v1/scan", content=b"x")).status_code == 401

    run_api(settings, scenario)
