"""Egress guard: which IP addresses are not public, and what numeric host spellings mean.

Ranges: IANA IPv4/IPv6 Special-Purpose Address Registries (RFC 6890 and updates); numeric
spellings as glibc `inet_aton` reads them (`127.1`, `0x7f.1`, `0177.0.0.1`, `2130706433`).
"""

from __future__ import annotations

import ipaddress
import re

__all__ = [
    "IPAddress",
    "IPNetwork",
    "address_problem",
    "embedded_v4",
    "inet_aton",
    "is_numeric_v4",
    "parse_allow_entry",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

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
    if not text or len(text) > 253 or not _HOST_NAME.fullmatch(text) or is_numeric_v4(text):
        raise ValueError(f"{entry!r} is neither a CIDR, an IP address nor a host name")
    return text.rstrip(".")


def embedded_v4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 address embeds, with its label (or None)."""
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
    embedded = embedded_v4(address)
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


def is_numeric_v4(host: str) -> bool:
    """True for hosts that `inet_aton` would read as a number (each dot part is a number)."""
    parts = host.removesuffix(".").split(".")
    return all(_NUMBER_PART.fullmatch(part) for part in parts)


def _aton_number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    return int(part, 8) if len(part) > 1 and part[0] == "0" else int(part)


def inet_aton(host: str) -> ipaddress.IPv4Address | None:
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
