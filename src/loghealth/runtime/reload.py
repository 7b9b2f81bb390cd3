"""Runtime: hot reload of rule files — rebuild the engine once per change and swap it atomically.

A rule that does not compile is left out and reported (`Engine.errors` / `Catalog.errors`); the
rest of the new rule set takes effect. A file that cannot be read at all keeps the old engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from loghealth.engine import Engine
from loghealth.rules.loader import CatalogError

__all__ = ["RuleReloader"]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class RuleReloader:
    """Notices changes to rule files and builds a new engine with `build`."""

    def __init__(self, files: Sequence[Path], build: Callable[[], Engine]) -> None:
        self.files = list(files)
        self.build = build
        self._stamps = [_stamp(p) for p in self.files]
        self.reloads = 0
        self.last_error: str | None = None

    def changed(self) -> bool:
        """True (once) when any rule file changed since the last check."""
        stamps = [_stamp(p) for p in self.files]
        if stamps == self._stamps:
            return False
        self._stamps = stamps
        return True

    def rebuild(self) -> Engine | None:
        """A new engine from the current files, or None if the rule set cannot be loaded."""
        try:
            engine = self.build()
        except (CatalogError, OSError) as error:
            self.last_error = str(error)
            return None
        self.reloads += 1
        self.last_error = None
        return engine
