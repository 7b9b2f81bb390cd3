"""Process start-up: build what lives as long as the process without the cyclic collector.

Start-up makes some hundred thousand objects that are never garbage: modules, the catalog,
compiled patterns, the matcher. CPython's cyclic garbage collector, started by allocation counts,
walks them again and again while they are made — a one-line `loghealth scan` ran 141 collections
(one of them full) costing 53 ms of its ~0.4 s. Inside `collector_paused()` none runs; at its end
what was built is frozen (`gc.freeze`: moved where collections never look, which also keeps a
forked worker's copy of those pages shared) and the collector resumes. See the `gc` module docs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


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
