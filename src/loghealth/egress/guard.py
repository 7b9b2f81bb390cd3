"""Egress guard: vet a URL — scheme, numeric spellings, one resolution, every address checked.

See the package docstring for the rules; `addresses` holds the ranges.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from loghealth.egress.addresses import (
    IPAddress,
    address_problem,
    embedded_v4,
    inet_aton,
    is_numeric_v4,
    parse_allow_entry,
)

__all__ = [
    "EgressPolicy",
    "EgressRefused",
    "Resolver",
    "VettedTarget",
    "system_resolver",
    "vet_url",
]

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""`resolver(host, port)` -> the host's addresses as text (IPv4 or IPv6, scope ids allowed).

Raises `OSError` (e.g. `socket.gaierror`) when the name cannot be resolved.
"""

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
        embedded = embedded_v4(address) if isinstance(address, ipaddress.IPv6Address) else None
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
    if not is_numeric_v4(host):
        return None
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        meaning = inet_aton(host)
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
        if host and is_numeric_v4(host):
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
