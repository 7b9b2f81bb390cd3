"""Alerts stage: the generic JSON webhook notifier (POST through the egress guard).

Body: `Notification.to_json()` as compact UTF-8 JSON. Headers: `X-Loghealth-Event` (event
kind), `X-Loghealth-Delivery` (stored delivery id), `X-Loghealth-Timestamp` (Unix seconds, UTC)
and, with a shared secret, `X-Loghealth-Signature: sha256=<hex>` — HMAC-SHA256 (RFC 2104, FIPS
180-4) keyed with the secret over `<timestamp>.<body>` (the exact bytes sent). A receiver
recomputes it, compares in constant time and rejects timestamps older than a few minutes
(replays). Redirects are never followed: a 3xx is a failed delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

import httpx

from loghealth import __version__
from loghealth.alerts.base import DeliveryError, Notification
from loghealth.clock import Clock
from loghealth.egress import EgressRefused

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "RESERVED_HEADERS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookNotifier",
    "encode_body",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "X-Loghealth-Signature"
TIMESTAMP_HEADER = "X-Loghealth-Timestamp"
EVENT_HEADER = "X-Loghealth-Event"
DELIVERY_HEADER = "X-Loghealth-Delivery"
RESERVED_HEADERS = frozenset(
    {"host", "content-type", "content-length", "transfer-encoding", "connection", "user-agent"}
)
"""Header names (lower case) a trigger may not set, besides every `x-loghealth-*`."""

_RETRYABLE_STATUS = frozenset({408, 425, 429})
_EXCERPT_CHARS = 200


def encode_body(notification: Notification) -> bytes:
    """The webhook body: compact JSON (UTF-8, no ASCII escaping) of `notification.to_json()`."""
    return json.dumps(notification.to_json(), separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 (RFC 2104) of `timestamp + "." + body` keyed with `secret`.

    `secret` is encoded as UTF-8; `timestamp` is the `X-Loghealth-Timestamp` header value.
    """
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """True when `signature` (the header value) signs `timestamp` and `body` with `secret`.

    Constant-time comparison; checking the timestamp's age is the receiver's job.
    """
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _status_error(response: httpx.Response) -> DeliveryError:
    code = response.status_code
    if 300 <= code < 400:
        where = response.headers.get("location", "?")[:_EXCERPT_CHARS]
        return DeliveryError(
            f"HTTP {code}: redirects are not followed (Location: {where}); use the final URL",
            is_retryable=False, status_code=code,
        )  # fmt: skip
    excerpt = response.text[:_EXCERPT_CHARS].strip()
    retryable = code >= 500 or code in _RETRYABLE_STATUS
    return DeliveryError(
        f"HTTP {code}: {excerpt}" if excerpt else f"HTTP {code}",
        is_retryable=retryable, status_code=code,
    )  # fmt: skip


class WebhookNotifier:
    """POSTs each notification as JSON to `url` through `client` (an `egress_client`).

    `headers` are extra request headers (e.g. `Authorization`); `secret` enables the
    signature header. The client is closed by `aclose` only when `owns_client` is True.
    """

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        clock: Clock,
        *,
        secret: str | None = None,
        headers: Mapping[str, str] | None = None,
        owns_client: bool = False,
    ) -> None:
        self.url = url
        self.client = client
        self.clock = clock
        self.secret = secret
        self.headers = dict(headers or {})
        self.owns_client = owns_client

    def request_headers(self, notification: Notification, body: bytes) -> dict[str, str]:
        """The headers of one attempt (a new timestamp, and signature, per attempt)."""
        timestamp = str(int(self.clock.now().timestamp()))
        headers = {
            **self.headers,
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"loghealth/{__version__}",
            EVENT_HEADER: str(notification.event),
            TIMESTAMP_HEADER: timestamp,
        }
        if notification.delivery_id is not None:
            headers[DELIVERY_HEADER] = str(notification.delivery_id)
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, timestamp, body)
        return headers

    async def send(self, notification: Notification) -> int:
        """POST the notification; return the 2xx status.

        Raises:
            DeliveryError: refused by the egress guard, no connection, a timeout, a 3xx or an
                error status (retryable: connection problems, timeouts, 5xx, 408, 425, 429).
        """
        body = encode_body(notification)
        try:
            response = await self.client.post(
                self.url, content=body, headers=self.request_headers(notification, body)
            )
        except EgressRefused as error:
            raise DeliveryError(str(error), is_retryable=False) from None
        except httpx.TimeoutException as error:
            raise DeliveryError(f"timed out: {error!r}", is_retryable=True) from None
        except httpx.HTTPError as error:
            raise DeliveryError(f"cannot deliver: {error!r}", is_retryable=True) from None
        if not 200 <= response.status_code < 300:
            raise _status_error(response)
        return response.status_code

    async def aclose(self) -> None:
        """Close the HTTP client if this notifier owns it."""
        if self.owns_client:
            await self.client.aclose()
