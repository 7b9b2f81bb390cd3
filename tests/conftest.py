"""Shared test fixtures: where the real third-party logs live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` beside the repository; skipped outside CI when absent, an error in CI."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the real logs at {SHARED_DATA}")
        pytest.skip(f"real logs not found at {SHARED_DATA} (they sit beside the repo in CI)")
    return SHARED_DATA
