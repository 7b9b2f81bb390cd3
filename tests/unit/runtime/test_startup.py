"""startup.collector_paused: no collection inside, then what was built is frozen."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from loghealth.startup import collector_paused


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """Generations of the collections that start while the test runs."""
    started: list[int] = []

    def on_collection(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(on_collection)
    yield started
    gc.callbacks.remove(on_collection)
    gc.unfreeze()  # hand what the tests froze back to the collector


def _cycles(count: int) -> list[list[Any]]:
    cycles: list[list[Any]] = []
    for _ in range(count):
        cycle: list[Any] = []
        cycle.append(cycle)
        cycles.append(cycle)
    return cycles


def test_no_collection_runs_inside_and_the_built_objects_are_frozen(
    collections: list[int],
) -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    with collector_paused():
        assert not gc.isenabled()
        kept = _cycles(50_000)  # far past the youngest generation's threshold (700)
    assert collections == []
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(kept)
    _cycles(50_000)
    assert collections  # resumed: the same allocations start collections again


def test_a_paused_collector_stays_paused_and_an_error_still_resumes() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("start-up failed")
    assert gc.isenabled()
    gc.unfreeze()


def test_the_command_imports_its_modules_with_the_collector_paused() -> None:
    # the entry point of `python -m loghealth` and the console script; a collection counts as
    # "during the imports" from the start of `cli.main`'s import (it imports everything else)
    # until it has defined its last name, `main`
    probe = (
        "import gc, sys\n"
        "during, after = [], []\n"
        "def on_collection(phase, info):\n"
        "    if phase == 'start':\n"
        "        cli = sys.modules.get('loghealth.cli.main')\n"
        "        (during if cli is not None and not hasattr(cli, 'main') else after).append(1)\n"
        "gc.callbacks.append(on_collection)\n"
        "sys.argv = ['loghealth', '--version']\n"
        "from loghealth.cli import entry\n"
        "try:\n"
        "    entry.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(len(during), len(sys.modules) > 300, gc.isenabled())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    version, report = done.stdout.strip().splitlines()
    assert version.startswith("loghealth ")
    assert report == "0 True True"
