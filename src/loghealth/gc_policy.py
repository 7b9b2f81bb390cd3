"""How loghealth's processes use CPython's cyclic garbage collector (see the `gc` module docs).

Start-up makes some hundred thousand objects that are never garbage: modules, the catalog,
compiled patterns, the matcher. The collector, started by allocation counts, walks them again
and again while they are made — a one-line `loghealth scan` ran 141 collections (one of them
full) costing 53 ms of its ~0.4 s. Inside `collector_paused()` none runs; at its end what was
built is frozen (`gc.freeze`: moved where collections never look, which also keeps a forked
worker's copy of those pages shared) and the collector resumes.

A scan then makes records in batches of 1,024 that die together once matched. Collecting the
youngest generation every 700 net allocations (CPython's default) walks each batch before it
dies: on the bench's 250 MB Python log 379 collections, 37 ms. `young_collections_spaced()`
collects it every 10,000 instead (2 collections, 1.8 ms); a batch is freed, by reference
counting, before the collector looks at it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "SCAN_YOUNG_THRESHOLD",
    "collector_paused",
    "space_young_collections",
    "young_collections_spaced",
]

SCAN_YOUNG_THRESHOLD = 10_000
"""Net allocations between collections of the youngest generation during a scan."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block without automatic collections; then freeze every object and resume.

    Only for objects meant to live to the end of the process: frozen objects are never
    collected. Resumes only a collector that was enabled on entry; nests.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def space_young_collections(threshold: int = SCAN_YOUNG_THRESHOLD) -> tuple[int, int, int]:
    """Collect the youngest generation every `threshold` net allocations, from now on.

    Process-wide, for a process that only scans: a `--jobs` worker, a CLI scan (through
    `young_collections_spaced`); processes forked later inherit it. A higher threshold, or 0
    (no automatic collection), is left as it is. Returns the previous `gc.get_threshold()`.
    """
    previous: tuple[int, int, int] = gc.get_threshold()
    if 0 < previous[0] < threshold:
        gc.set_threshold(threshold, *previous[1:])
    return previous


@contextmanager
def young_collections_spaced(threshold: int = SCAN_YOUNG_THRESHOLD) -> Iterator[None]:
    """Run the block with `space_young_collections(threshold)`; restore the thresholds after."""
    previous = space_young_collections(threshold)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
