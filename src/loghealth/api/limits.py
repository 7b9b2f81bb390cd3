"""API: request limits — body size (413) and a token bucket per token or client key (429).

The bucket follows the monotonic clock (`time.monotonic`): rate limits are about elapsed time,
not wall time, and need no `Clock`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loghealth.api.problems import problem_response

__all__ = ["BodyLimitMiddleware", "BodyTooLargeError", "RequestRateLimiter"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RequestRateLimiter:
    """Token bucket per key: `rate_per_sec` refill, `burst` capacity (at most 100,000 keys)."""

    def __init__(self, rate_per_sec: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate_per_sec = rate_per_sec
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> float:
        """Spend one request of `key`; 0.0 if allowed, else the seconds until one is available."""
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(
            float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate_per_sec
        )
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate_per_sec

    @staticmethod
    def retry_after(wait_secs: float) -> str:
        """The `Retry-After` value (RFC 9110 §10.2.3: whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait_secs)))


class BodyTooLargeError(StarletteHTTPException):
    """The request body went past the limit while it was being read (a 413 problem)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body larger than {max_bytes} bytes")


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` with 413 (by Content-Length, or while streaming)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a counting `receive`; answer 413 past the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"request body larger than {self.max_bytes} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await problem_response(413, detail)(scope, receive, send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await problem_response(413, detail)(scope, receive, send)
