"""Time source: the only module that reads the wall clock.

Windows, `--since` and year inference take `now` from a `Clock`, so tests use a fixed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """Gives the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time (aware, UTC)."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current time (aware, UTC)."""
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at `at` (aware UTC); for tests and reproducible reports."""

    at: datetime

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self.at
