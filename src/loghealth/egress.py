"""Egress guard: the SSRF check for every outbound request (notifiers, remediation HTTP actions).

A URL is vetted before any connection: scheme http/https only; the host is resolved once and
*every* address must be public (loopback, link-local incl. cloud metadata, private, shared,
unique-local, multicast, reserved, documentation ranges and IPv6 forms that embed such an IPv4
address are refused) unless an admin allow-lists it. Numeric IPv4 spellings other than four
decimal numbers (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`) are refused outright. The client
from `egress_client` connects to the vetted addresses only (no second lookup: DNS rebinding),
keeps the Host header and TLS server name of the URL, and never follows redirects.
Ranges: IANA IPv4/IPv6 Special-Purpose Address Registries (RFC 6890 and updates).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

__all__ = [
    "EgressPolicy",
    "EgressRefused",
    "EgressTransport",
    "Resolver",
    "VettedTarget",
    "address_problem",
    "egress_client",
    "parse_allow_entry",
    "system_resolver",
    "vet_url",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""`resolver(host, port)` -> the host's addresses as text (IPv4 or IPv6, scope ids allowed).

Raises `OSError` (e.g. `socket.gaierror`) when the name cannot be resolved.
"""

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
_BLOCKED_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("169.254.169.254/32"), "the cloud metadata address (link-local)"),
    (_V4("255.255.255.255/32"), "the broadcast address"),
    (_V4("0.0.0.0/8"), "unspecified ('this network')"),
    (_V4("10.0.0.0/8"), "a private address (RFC 1918)"),
    (_V4("100.64.0.0/10"), "shared address space (carrier-grade NAT, RFC 6598)"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("172.16.0.0/12"), "a private address (RFC 1918)"),
    (_V4("192.0.0.0/24"), "an IETF protocol assignment"),
    (_V4("192.0.2.0/24"), "a documentation address"),
    (_V4("192.88.99.0/24"), "the 6to4 relay anycast range"),
    (_V4("192.168.0.0/16"), "a private address (RFC 1918)"),
    (_V4("198.18.0.0/15"), "a benchmarking address"),
    (_V4("198.51.100.0/24"), "a documentation address"),
    (_V4("203.0.113.0/24"), "a documentation address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
)
_BLOCKED_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "the unspecified address"),
    (_V6("::1/128"), "the loopback address"),
    (_V6("::/96"), "an IPv4-compatible IPv6 address (deprecated)"),
    (_V6("64:ff9b:1::/48"), "a local-use NAT64 address"),
    (_V6("100::/64"), "a discard-only address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a site-local address"),
    (_V6("fc00::/7"), "a unique-local address"),
    (_V6("ff00::/8"), "a multicast address"),
    (_V6("2001:db8::/32"), "a documentation address"),
    (_V6("2001::/23"), "an IETF protocol assignment (incl. Teredo)"),
    (_V6("3fff::/20"), "a documentation address"),
)
_GLOBAL_UNICAST_V6 = _V6("2000::/3")
_MAPPED = _V6("::ffff:0:0/96")
_NAT64 = _V6("64:ff9b::/96")
_SIXTOFOUR = _V6("2002::/16")
_NUMBER_PART = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")
_HOST_NAME = re.compile(r"(\*\.)?([a-z0-9_]([a-z0-9_-]{0,62})\.)*[a-z0-9_][a-z0-9_-]{0,62}\.?")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class EgressRefused(Exception):
    """An outbound request the guard refused; the message says which URL and why."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The system resolver (`getaddrinfo`: /etc/hosts, then DNS), TCP addresses as text.

    Raises:
        OSError: the name cannot be resolved (`socket.gaierror`).
    """
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_allow_entry(entry: str) -> IPNetwork | str:
    """Parse an allow-list entry: a network, or a host name (lower case, no trailing dot).

    A network is a CIDR or an address (`10.0.0.0/8`, `127.0.0.1`, `fd00::/8`); a host name is
    exact (`hooks.internal`) or `*.corp.example` (every sub-domain, not the name itself).

    Raises:
        ValueError: neither a network nor a host name.
    """
    text = entry.strip().lower()
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    if not text or len(text) > 253 or not _HOST_NAME.fullmatch(text) or _is_numeric_v4(text):
        raise ValueError(f"{entry!r} is neither a CIDR, an IP address nor a host name")
    return text.rstrip(".")


class EgressPolicy:
    """What an admin allows beyond the public internet, and how names are resolved.

    `allow`: CIDRs/addresses and host names (see `parse_allow_entry`). An allowed address passes
    the range checks; an allowed host name passes them for every address it resolves to (the
    connection is still pinned to those addresses). `resolver` defaults to `system_resolver`
    (tests inject one); a lookup longer than `resolve_timeout_secs` is refused.

    Raises:
        ValueError: an entry of `allow` is malformed.
    """

    def __init__(
        self,
        allow: Sequence[str] = (),
        *,
        resolver: Resolver | None = None,
        resolve_timeout_secs: float = 5.0,
    ) -> None:
        entries = [parse_allow_entry(entry) for entry in allow]
        self.allow = tuple(allow)
        self.networks = tuple(e for e in entries if not isinstance(e, str))
        self.names = frozenset(e for e in entries if isinstance(e, str))
        self.resolver: Resolver = resolver or system_resolver
        self.resolve_timeout_secs = resolve_timeout_secs

    def allows_name(self, host: str) -> bool:
        """True when `host` (lower case, no trailing dot) is allow-listed by name or wildcard."""
        if host in self.names:
            return True
        parts = host.split(".")
        return any("*." + ".".join(parts[i:]) in self.names for i in range(1, len(parts)))

    def allows_address(self, address: IPAddress) -> bool:
        """True when `address` (or the IPv4 address it embeds) lies in an allowed network."""
        candidates = [address]
        embedded = _embedded_v4(address) if isinstance(address, ipaddress.IPv6Address) else None
        if embedded is not None:
            candidates.append(embedded[1])
        return any(a in network for a in candidates for network in self.networks)


@dataclass(frozen=True, slots=True)
class VettedTarget:
    """A URL that passed the guard: its host (as sent in Host/SNI), port and vetted addresses.

    `addresses` are IP addresses as text, in resolver order, without duplicates; a connection
    goes to one of them and nowhere else.
    """

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def _embedded_v4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    if address in _MAPPED:
        return "IPv4-mapped IPv6 address", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64:
        return "NAT64 address", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _SIXTOFOUR:
        return "6to4 address", ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why `address` must not be contacted (None: a public unicast address).

    IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 IPv6 addresses are judged by the IPv4 address
    they embed; IPv6 outside global unicast (2000::/3) is refused.
    """
    if isinstance(address, ipaddress.IPv4Address):
        return next((why for network, why in _BLOCKED_V4 if address in network), None)
    embedded = _embedded_v4(address)
    if embedded is not None:
        label, inner = embedded
        problem = address_problem(inner)
        return f"{label} of {inner}, {problem}" if problem else None
    for network, why in _BLOCKED_V6:
        if address in network:
            return why
    if address not in _GLOBAL_UNICAST_V6:
        return "not a global unicast IPv6 address"
    return None


def _is_numeric_v4(host: str) -> bool:
    """True for hosts that `inet_aton` would read as a number (each dot part is a number)."""
    parts = host.removesuffix(".").split(".")
    return all(_NUMBER_PART.fullmatch(part) for part in parts)


def _aton_number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    return int(part, 8) if len(part) > 1 and part[0] == "0" else int(part)


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """What glibc `inet_aton` makes of `host` (`127.1`, `0x7f.1`, `2130706433`), or None."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    try:
        numbers = [_aton_number(part) for part in parts]
    except ValueError:  # 8 or 9 in an octal part
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(head):
        value |= number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _literal(host: str, url: str) -> IPAddress | None:
    """The IP address written in the URL's host, None for a name.

    Raises:
        EgressRefused: a non-canonical IPv4 spelling or an IPv6 zone id.
    """
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:  # e.g. a zone id (`fe80::1%eth0`)
            raise EgressRefused(f"{url}: {host!r} is not an IPv6 address without zone") from None
    if not _is_numeric_v4(host):
        return None
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        meaning = _inet_aton(host)
        means = f" (= {meaning})" if meaning is not None else ""
        raise EgressRefused(
            f"{url}: non-canonical numeric host {host!r}{means}; "
            "write an IPv4 address as four decimal numbers"
        ) from None


async def _resolve(host: str, port: int, policy: EgressPolicy, url: str) -> list[IPAddress]:
    try:
        async with asyncio.timeout(policy.resolve_timeout_secs):
            found = await policy.resolver(host, port)
    except TimeoutError:
        raise EgressRefused(f"{url}: resolving {host} timed out") from None
    except OSError as error:
        raise EgressRefused(f"{url}: {host} cannot be resolved ({error})") from None
    addresses: list[IPAddress] = []
    for text in found:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            raise EgressRefused(f"{url}: the resolver returned {text!r}") from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise EgressRefused(f"{url}: {host} has no address")
    return addresses


async def vet_url(url: str, policy: EgressPolicy) -> VettedTarget:
    """Check `url` and resolve its host once; every address must pass (see module docstring).

    Raises:
        EgressRefused: not http(s), no host, a numeric spelling, a name that cannot be resolved,
            or any resolved address that is not public and not allow-listed (the message names
            the address and the range, e.g. "127.0.0.1, a loopback address").
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as error:
        host = urlsplit(url).hostname if isinstance(url, str) else None
        if host and _is_numeric_v4(host):
            _literal(host, url)  # httpx rejects some spellings (`0177.0.0.1`): say what it is
        raise EgressRefused(f"{url!r} is not a valid URL ({error})") from None
    if parsed.scheme not in _DEFAULT_PORTS:
        raise EgressRefused(f"{url}: only http and https URLs are allowed")
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise EgressRefused(f"{url}: the URL has no host")
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    literal = _literal(host, url)
    name = host.rstrip(".")
    if literal is not None:
        addresses = [literal]
    else:
        addresses = await _resolve(host, port, policy, url)
    if literal is not None or not policy.allows_name(name):
        for address in addresses:
            problem = None if policy.allows_address(address) else address_problem(address)
            if problem is not None:
                shown = f"{host} resolves to {address}" if literal is None else str(address)
                raise EgressRefused(
                    f"{url}: {shown}, {problem}; refused (allow it in egress.allow if intended)"
                )
    return VettedTarget(url, parsed.scheme, host, port, tuple(str(a) for a in addresses))


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
