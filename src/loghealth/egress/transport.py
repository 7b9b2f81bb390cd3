"""Egress guard: the HTTP client — connects only to vetted addresses, never follows redirects."""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from loghealth.egress.guard import EgressPolicy, vet_url

__all__ = ["EgressTransport", "egress_client"]


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects a host name only to the addresses pinned for it (vetted); never resolves."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self.inner = inner
        self.pins: dict[str, tuple[str, ...]] = {}

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = self.pins.get(host.lower())
        if not addresses:
            raise httpcore.ConnectError(f"{host} was not vetted by the egress guard")
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error  # try the next vetted address
        assert failure is not None  # noqa: S101 - `addresses` is not empty
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed by the egress guard")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class EgressTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that vets each request's URL and connects to the vetted addresses.

    The Host header and the TLS server name (SNI, certificate check) stay those of the URL.
    `network_backend` replaces httpcore's socket layer (tests record where it connects).

    Raises (from `handle_async_request`):
        EgressRefused: the URL is refused (nothing was sent).
    """

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        ssl_context: ssl.SSLContext | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        context = ssl_context or httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=context, trust_env=False)
        self.policy = policy
        self.backend = _PinnedBackend(network_backend or httpcore.AnyIOBackend())
        # httpx does not expose httpcore's `network_backend`; its own pool (same options) is
        # replaced by one on the pinning backend. The egress tests fail if this stops working.
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("this httpx version keeps no httpcore pool in `_pool`")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context, max_connections=20, max_keepalive_connections=10,
            keepalive_expiry=5.0, network_backend=self.backend,
        )  # fmt: skip

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Vet the URL, pin its host to the vetted addresses, then send."""
        target = await vet_url(str(request.url), self.policy)
        self.backend.pins[target.host] = target.addresses
        return await super().handle_async_request(request)


def egress_client(
    policy: EgressPolicy,
    *,
    timeout_secs: float = 10.0,
    ssl_context: ssl.SSLContext | None = None,
    network_backend: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` whose every request goes through the guard (`EgressTransport`).

    `timeout_secs` bounds connect, read, write and pool waits (each, seconds). Redirects are
    never followed (a 3xx is returned as is: callers treat it as a failure), and proxy
    environment variables are ignored (a proxy would connect to unvetted addresses).
    """
    transport = EgressTransport(policy, ssl_context=ssl_context, network_backend=network_backend)
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout_secs),
        follow_redirects=False,
        trust_env=False,
    )
