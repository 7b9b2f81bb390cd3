"""Runtime: the in-process event bus — finding opened / updated / regressed / resolved.

Subscribers (API, dashboard, notifiers) get a bounded queue; a slow subscriber loses its oldest
events (counted in `dropped`) instead of slowing the engine down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from loghealth.store.repository import FindingEvent

__all__ = ["EventBus", "next_event"]


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


async def next_event(
    queue: asyncio.Queue[FindingEvent], stop: asyncio.Event, timeout_secs: float | None = None
) -> FindingEvent | None:
    """The next event from a subscriber queue; None after `timeout_secs` or once `stop` is set.

    For loops that must end promptly on shutdown (SSE streams, notifiers, remediation).
    """
    getter = asyncio.ensure_future(queue.get())
    stopper = asyncio.ensure_future(stop.wait())
    done, pending = await asyncio.wait(
        {getter, stopper}, timeout=timeout_secs, return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    return getter.result() if getter in done else None
