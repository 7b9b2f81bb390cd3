"""Alerts stage: deliver one notification with retries and exponential back-off.

Attempt n (n ≥ 2) waits `base_secs × 2^(n-2)` seconds (capped at `max_secs`) after attempt n-1.
A non-retryable failure (egress refusal, redirect, 4xx) ends at once. `sleep` is injected so
tests move a fake clock instead of waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from loghealth.alerts.base import DeliveryError, Notification, Notifier

__all__ = ["Attempt", "DeliveryOutcome", "deliver", "retry_delay_secs"]

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try: its number (from 1), the error (None: delivered) and the HTTP status if any."""

    number: int
    error: str | None
    status_code: int | None


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """The end of a delivery: delivered or not, tries made, the last error and status."""

    is_delivered: bool
    attempts: int
    last_error: str | None
    status_code: int | None


def retry_delay_secs(attempt: int, base_secs: float, max_secs: float) -> float:
    """Seconds to wait before try `attempt` (≥ 2): base, 2×base, 4×base… capped at `max_secs`."""
    return float(min(base_secs * 2 ** min(max(attempt - 2, 0), 60), max_secs))


async def deliver(
    notifier: Notifier,
    notification: Notification,
    *,
    max_attempts: int,
    base_secs: float,
    max_secs: float,
    sleep: Sleep = asyncio.sleep,
    on_attempt: Callable[[Attempt], Awaitable[None]] | None = None,
) -> DeliveryOutcome:
    """Send until delivered, a non-retryable failure, or `max_attempts` tries.

    `on_attempt` is awaited after each try (to record progress). An unexpected exception of a
    notifier counts as a retryable failure (its type and message are recorded).
    """
    last_error: str | None = None
    status: int | None = None
    for number in range(1, max_attempts + 1):
        if number > 1:
            await sleep(retry_delay_secs(number, base_secs, max_secs))
        is_retryable = True
        try:
            status = await notifier.send(notification)
            last_error = None
        except DeliveryError as error:
            last_error, status, is_retryable = str(error), error.status_code, error.is_retryable
        except Exception as error:  # a notifier bug must not end the dispatcher
            last_error, status = f"{type(error).__name__}: {error}", None
        if on_attempt is not None:
            await on_attempt(Attempt(number, last_error, status))
        if last_error is None:
            return DeliveryOutcome(True, number, None, status)
        if not is_retryable:
            return DeliveryOutcome(False, number, last_error, status)
    return DeliveryOutcome(False, max_attempts, last_error, status)
