"""API: the writer of pushed client entries — many requests, one transaction (group commit).

A push waits until its entries are committed (so a 202 means stored). While one commit runs,
new pushes queue up and go together in the next one; one writer also keeps SQLite free of
competing writers. Entries older than the retention are pruned every `PRUNE_EVERY_SECS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from datetime import timedelta

from loghealth.clock import Clock
from loghealth.store.clients import ClientStore, EntryData

__all__ = ["PRUNE_EVERY_SECS", "EntryWriter"]

PRUNE_EVERY_SECS = 300.0


class EntryWriter:
    """Batches `write` calls from concurrent requests into few transactions."""

    def __init__(self, clients: ClientStore, clock: Clock, retention_secs: int) -> None:
        self.clients = clients
        self.clock = clock
        self.retention_secs = retention_secs
        self.commits = 0
        self.pruned = 0
        self._pending: list[tuple[Sequence[EntryData], asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_prune = 0.0

    async def write(self, entries: Sequence[EntryData]) -> None:
        """Store `entries`; return once they are committed.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the commit failed (nothing of this batch is stored).
        """
        if not entries:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entries, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="client-entry-writer")
        self._wake.set()
        await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if batch:
                await self._commit(batch)
            if time.monotonic() - self._last_prune >= PRUNE_EVERY_SECS:
                self._last_prune = time.monotonic()
                cutoff = self.clock.now() - timedelta(seconds=self.retention_secs)
                self.pruned += await asyncio.to_thread(self.clients.prune, cutoff)

    async def _commit(self, batch: list[tuple[Sequence[EntryData], asyncio.Future[None]]]) -> None:
        rows = [entry for entries, _ in batch for entry in entries]
        try:
            await asyncio.to_thread(self.clients.add_entries, rows)
        except Exception as error:  # handed to every waiting request
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        self.commits += 1
        for _, future in batch:
            if not future.done():
                future.set_result(None)

    async def aclose(self) -> None:
        """Commit what is queued, then stop the writer task."""
        if self._pending:
            batch, self._pending = self._pending, []
            await self._commit(batch)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
