"""Runtime: the in-process event bus — finding opened / updated / regressed / resolved.

Subscribers (API, dashboard, notifiers) get a bounded queue; a slow subscriber loses its oldest
events (counted in `dropped`) instead of slowing the engine down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from loghealth.store.repository import FindingEvent

__all__ = ["EventBus"]


class EventBus:
    """Fan-out of `FindingEvent`s to subscriber queues."""

    def __init__(self) -> None:
        self._queues: list[asyncio.Queue[FindingEvent]] = []
        self.dropped = 0

    def subscribe(self, maxsize: int = 1000) -> asyncio.Queue[FindingEvent]:
        """A new queue that receives every event published from now on."""
        queue: asyncio.Queue[FindingEvent] = asyncio.Queue(maxsize=maxsize)
        self._queues.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[FindingEvent]) -> None:
        """Stop delivering to `queue`."""
        if queue in self._queues:
            self._queues.remove(queue)

    def publish(self, events: Iterable[FindingEvent]) -> None:
        """Deliver events to every subscriber without waiting."""
        for event in events:
            for queue in self._queues:
                if queue.full():
                    queue.get_nowait()
                    self.dropped += 1
                queue.put_nowait(event)
