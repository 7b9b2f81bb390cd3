"""gc_policy: start-up with the collector paused, scans with young collections spaced out."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from loghealth.gc_policy import (
    SCAN_YOUNG_THRESHOLD,
    collector_paused,
    space_young_collections,
    young_collections_spaced,
)


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


def _batches(count: int, size: int) -> None:
    # what a scan does: a batch of objects (here cycle-free records) lives until it is matched
    for _ in range(count):
        batch = [[index] for index in range(size)]
        del batch


def test_scans_collect_the_young_generation_less_often(collections: list[int]) -> None:
    default = gc.get_threshold()
    _batches(20, 1024)
    at_default = len(collections)
    collections.clear()
    with young_collections_spaced():
        assert gc.get_threshold() == (SCAN_YOUNG_THRESHOLD, *default[1:])
        _batches(20, 1024)
    assert gc.get_threshold() == default
    assert at_default >= 20  # each batch of 1,024 outgrew the default 700
    assert len(collections) == 0  # each batch was freed before 10,000 net allocations


def test_spacing_never_lowers_a_threshold_or_turns_collection_back_on() -> None:
    default = gc.get_threshold()
    try:
        gc.set_threshold(50_000)
        assert space_young_collections()[0] == 50_000
        assert gc.get_threshold()[0] == 50_000
        gc.set_threshold(0)
        space_young_collections()
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*default)


@pytest.mark.parametrize("start", ["fork", "forkserver"])
def test_a_jobs_worker_spaces_its_collections(start: str) -> None:
    from loghealth.engine import Matcher
    from loghealth.rules.loader import load_catalog
    from loghealth.runtime import parallel

    default = gc.get_threshold()
    try:
        if start == "fork":
            parallel._adopt_matcher(Matcher([], "portable"))
        else:
            parallel._init_worker(load_catalog([], []), "portable", None)
        assert gc.get_threshold() == (SCAN_YOUNG_THRESHOLD, *default[1:])
    finally:
        gc.set_threshold(*default)
        parallel._worker_matcher = None
        gc.unfreeze()
