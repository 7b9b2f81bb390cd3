"""pyproject's environment markers: the native speed-ups install where they have wheels."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
# (sys_platform, platform_machine) with and without wheels of hyperscan 0.9.1 and pcre2 0.7.1
# for CPython 3.11 (`pip download --only-binary=:all: --platform …`, 2026-11-21)
WHEELS = [("linux", "x86_64"), ("linux", "aarch64"), ("darwin", "x86_64"), ("darwin", "arm64"),
          ("win32", "AMD64")]  # fmt: skip
NO_WHEELS = [("win32", "ARM64"), ("linux", "i686"), ("linux", "armv7l"), ("linux", "ppc64le"),
             ("linux", "s390x")]  # fmt: skip


def _requirement(name: str) -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [Requirement(text) for text in project["dependencies"]]
    return next(requirement for requirement in found if requirement.name == name)


@pytest.mark.parametrize("name", ["hyperscan", "pcre2"])
@pytest.mark.parametrize(
    ("platform", "machine", "expected"),
    [(p, m, True) for p, m in WHEELS] + [(p, m, False) for p, m in NO_WHEELS],
)
def test_a_speed_up_installs_exactly_where_it_has_wheels(
    name: str, platform: str, machine: str, expected: bool
) -> None:
    marker = _requirement(name).marker
    assert marker is not None
    assert marker.evaluate({"sys_platform": platform, "platform_machine": machine}) is expected
