"""Alerts stage: Apprise URLs (Slack, Teams, Telegram, Discord, e-mail, ntfy, Matrix…).

Needs the optional extra `notify` (`pip install 'loghealth[notify]'`). Apprise opens its own
connections (with `requests`, `smtplib`…), so the egress guard cannot pin them: before each send
the host of every URL (and hosts named in `smtp=`, `host=`, `server=` parameters) is resolved
and checked by the guard, redirects are turned off, and the rest is Apprise's own doing — a
name that changes its address between the check and Apprise's lookup is not caught. Service
schemes whose first part is a token, not a host (`slack://T…/B…/…`, `tgram://bot/chat`…) talk
to the vendor's fixed public endpoint and have no host to check.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import warnings
from collections.abc import Sequence
from types import ModuleType
from urllib.parse import parse_qsl, urlsplit

from loghealth.alerts.base import DeliveryError, Notification
from loghealth.egress import EgressPolicy, EgressRefused, vet_url
from loghealth.engine.lifecycle import EventKind
from loghealth.model import Severity

__all__ = [
    "FIXED_ENDPOINT_SCHEMES",
    "HOST_PARAMETERS",
    "AppriseNotifier",
    "hosts_to_vet",
    "is_apprise_available",
    "is_valid_url",
    "preview",
]

FIXED_ENDPOINT_SCHEMES = frozenset(
    {"slack", "discord", "tgram", "msteams", "pover", "pbul", "ifttt", "join", "prowl", "twilio"}
)
"""Apprise schemes whose URL carries tokens only: the plugin talks to its vendor's endpoint."""

HOST_PARAMETERS = ("smtp", "host", "server")
"""Query parameters through which an Apprise URL can name another host (checked too)."""

_MAX_REMEMBERED_DELIVERIES = 1000


@functools.cache
def _apprise() -> ModuleType | None:
    """The `apprise` module with its plugins loaded, or None when it is not installed.

    Loading happens once, with DeprecationWarnings of Apprise's own imports (e.g. `imghdr` on
    Python 3.11/3.12) silenced: they are Apprise's to fix and would fail strict test runs.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import apprise
        except ImportError:
            return None
        apprise.Apprise.instantiate("json://localhost/")  # parses only: loads every plugin
    return apprise


def is_apprise_available() -> bool:
    """True when the optional `apprise` package is installed."""
    return _apprise() is not None


def is_valid_url(url: str) -> bool:
    """True when Apprise understands `url` (parsing only, no connection).

    Raises:
        RuntimeError: Apprise is not installed.
    """
    module = _apprise()
    if module is None:
        raise RuntimeError("Apprise is not installed: pip install 'loghealth[notify]'")
    return module.Apprise.instantiate(url) is not None


def preview(url: str) -> str:
    """A form of an Apprise URL safe to show: `scheme://host/…` (no credentials, no tokens)."""
    parts = urlsplit(url)
    if parts.scheme in FIXED_ENDPOINT_SCHEMES or not parts.hostname:
        return f"{parts.scheme}://…"
    return f"{parts.scheme}://{parts.hostname}/…"


def hosts_to_vet(url: str) -> list[tuple[str, int]]:
    """(host, port) pairs the egress guard must check before Apprise sends to `url`.

    Raises:
        ValueError: the URL has no scheme, or a malformed port.
    """
    parts = urlsplit(url)
    if not parts.scheme:
        raise ValueError("an Apprise URL starts with a scheme, e.g. json://host/path")
    found = []
    if parts.scheme not in FIXED_ENDPOINT_SCHEMES and parts.hostname:
        found.append((parts.hostname, parts.port or 443))
    for name, value in parse_qsl(parts.query):
        if name.lower() in HOST_PARAMETERS and value:
            named = urlsplit(f"//{value}")
            if named.hostname:
                found.append((named.hostname, named.port or 443))
    return found


def _notify_type(notification: Notification) -> str:
    if notification.event is EventKind.RESOLVED:
        return "success"
    worst = max(notice.severity for notice in notification.findings)
    return {Severity.INFO: "info", Severity.WARNING: "warning"}.get(worst, "failure")


class AppriseNotifier:
    """Sends the notification's title and text to each Apprise URL.

    A retried delivery (same `delivery_id`) goes only to the URLs that failed before.
    """

    def __init__(
        self, urls: Sequence[str], policy: EgressPolicy, *, timeout_secs: float = 10.0
    ) -> None:
        self.urls = list(urls)
        self.policy = policy
        self.timeout_secs = timeout_secs
        self._delivered: dict[int, set[int]] = {}

    async def _vet(self, url: str) -> None:
        try:
            targets = hosts_to_vet(url)
        except ValueError as error:
            raise DeliveryError(f"{preview(url)}: {error}", is_retryable=False) from None
        for host, port in targets:
            shown = f"[{host}]" if ":" in host else host
            try:
                await vet_url(f"https://{shown}:{port}/", self.policy)
            except EgressRefused as error:
                raise DeliveryError(f"{preview(url)}: {error}", is_retryable=False) from None

    async def _send_one(self, url: str, notification: Notification) -> None:
        apprise = _apprise()
        assert apprise is not None  # noqa: S101 - `send` checked it
        asset = apprise.AppriseAsset()
        if hasattr(apprise.AppriseAsset, "http_redirects"):
            asset.http_redirects = False  # Apprise ≥ 1.9: never follow 3xx
        sender = apprise.Apprise(asset=asset)
        if not sender.add(url):
            raise DeliveryError(f"{preview(url)}: not a valid Apprise URL", is_retryable=False)
        capture = apprise.LogCapture(level=logging.WARNING, fmt="%(message)s")
        with capture as captured:
            try:
                async with asyncio.timeout(self.timeout_secs):
                    is_sent = await sender.async_notify(
                        body=notification.text(), title=notification.title(),
                        notify_type=_notify_type(notification),
                    )  # fmt: skip
            except TimeoutError:
                raise DeliveryError(
                    f"{preview(url)}: no answer within {self.timeout_secs:g} s", is_retryable=True
                ) from None
        if not is_sent:
            lines = [line for line in captured.getvalue().splitlines() if line.strip()]
            why = lines[-1] if lines else "Apprise reported a failure"
            raise DeliveryError(f"{preview(url)}: {why}", is_retryable=True)

    async def send(self, notification: Notification) -> None:
        """Check every URL's hosts, then send to each URL not yet reached for this delivery.

        Raises:
            DeliveryError: apprise is not installed, a URL is invalid or refused by the egress
                guard (not retryable), or a service did not accept the message (retryable).
        """
        if not is_apprise_available():
            raise DeliveryError(
                "Apprise is not installed: pip install 'loghealth[notify]'", is_retryable=False
            )
        for url in self.urls:  # parse all before resolving any host
            if not is_valid_url(url):
                raise DeliveryError(f"{preview(url)}: not a valid Apprise URL", is_retryable=False)
        for url in self.urls:
            await self._vet(url)
        key = notification.delivery_id
        done = self._delivered.setdefault(key, set()) if key is not None else set()
        for index, url in enumerate(self.urls):
            if index not in done:
                await self._send_one(url, notification)
                done.add(index)
        if key is not None:
            self._delivered.pop(key, None)
        if len(self._delivered) > _MAX_REMEMBERED_DELIVERIES:
            self._delivered.clear()

    async def aclose(self) -> None:
        """Nothing to release (Apprise opens a connection per send)."""
