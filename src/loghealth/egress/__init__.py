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

from loghealth.egress.addresses import address_problem, parse_allow_entry
from loghealth.egress.guard import (
    EgressPolicy,
    EgressRefused,
    Resolver,
    VettedTarget,
    system_resolver,
    vet_url,
)
from loghealth.egress.transport import EgressTransport, egress_client

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
