"""The egress guard with real name resolution (a local DNS server, /etc/hosts) and real sockets.

Only loopback is ever connected to: public addresses are vetted, never contacted (a recording
network backend stands in for the socket layer where a connection would leave the machine).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx
import pytest
import trustme

from loghealth.egress import (
    EgressPolicy,
    EgressRefused,
    EgressTransport,
    address_problem,
    egress_client,
    parse_allow_entry,
    vet_url,
)
from tests.local_dns import LocalDns, local_dns
from tests.receiver import receiver

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


@pytest.fixture(scope="module")
def dns() -> Iterator[LocalDns]:
    with local_dns() as server:
        for name, addresses in {
            "private.test": ["10.1.2.3"],
            "metadata.test": ["169.254.169.254"],
            "linklocal.test": ["169.254.10.1"],
            "cgnat.test": ["100.64.0.1"],
            "zero.test": ["0.0.0.0"],  # noqa: S104 - an answer, not a bind
            "multicast.test": ["224.0.0.1"],
            "broadcast.test": ["255.255.255.255"],
            "reserved.test": ["240.0.0.1"],
            "mapped.test": ["::ffff:127.0.0.1"],
            "ula.test": ["fc00::1"],
            "v6-linklocal.test": ["fe80::1"],
            "v6-loopback.test": ["::1"],
            "sixtofour.test": ["2002:7f00:1::1"],
            "nat64.test": ["64:ff9b::a00:1"],
            "compat.test": ["::7f00:1"],
            "v6-multicast.test": ["ff02::1"],
            "public.test": [PUBLIC_V4, PUBLIC_V6],
            "mixed.test": [PUBLIC_V4, "10.0.0.7"],
            "internal.test": ["10.20.30.40"],
            "api.corp.test": ["10.20.30.41"],
            "loopback.test": ["127.0.0.1"],
        }.items():
            server.add(name, addresses)
        yield server


def policy(dns: LocalDns, *allow: str) -> EgressPolicy:
    return EgressPolicy(allow, resolver=dns.resolver)


def refused(url: str, egress: EgressPolicy) -> str:
    with pytest.raises(EgressRefused) as caught:
        asyncio.run(vet_url(url, egress))
    return str(caught.value)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("private.test", "10.1.2.3, a private address"),
        ("metadata.test", "169.254.169.254, the cloud metadata address"),
        ("linklocal.test", "a link-local address"),
        ("cgnat.test", "shared address space"),
        ("zero.test", "unspecified"),
        ("multicast.test", "a multicast address"),
        ("broadcast.test", "the broadcast address"),
        ("reserved.test", "a reserved address"),
        ("mapped.test", "IPv4-mapped IPv6 address of 127.0.0.1, a loopback address"),
        ("ula.test", "a unique-local address"),
        ("v6-linklocal.test", "a link-local address"),
        ("v6-loopback.test", "the loopback address"),
        ("sixtofour.test", "6to4 address of 127.0.0.1, a loopback"),
        ("nat64.test", "NAT64 address of 10.0.0.1, a private"),
        ("compat.test", "IPv4-compatible"),
        ("v6-multicast.test", "a multicast address"),
        ("mixed.test", "10.0.0.7, a private address"),  # every address is checked
    ],
)
def test_names_resolving_to_internal_addresses_are_refused(
    dns: LocalDns, name: str, why: str
) -> None:
    message = refused(f"http://{name}:8080/hook", policy(dns))
    assert f"{name} resolves to" in message
    assert why in message


def test_localhost_from_etc_hosts_is_refused() -> None:
    message = refused("http://localhost:9/x", EgressPolicy())  # the system resolver
    assert "localhost resolves to" in message
    assert "loopback" in message


def test_a_public_name_is_vetted_with_all_its_addresses(dns: LocalDns) -> None:
    target = asyncio.run(vet_url("https://public.test/path?q=1", policy(dns)))
    assert target.host == "public.test"
    assert target.port == 443
    assert target.addresses == (PUBLIC_V4, PUBLIC_V6)


@pytest.mark.parametrize(
    ("host", "means"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0", "0.0.0.0"),  # noqa: S104 - an address, not a bind
        ("0xa9fea9fe", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"),
    ],
)
def test_numeric_spellings_are_refused_even_when_allow_listed(host: str, means: str) -> None:
    egress = EgressPolicy(["0.0.0.0/0", "::/0"])
    message = refused(f"http://{host}/", egress)
    assert f"non-canonical numeric host {host!r} (= {means})" in message


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[fe80::1]/",
     "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[fd00:ec2::254]/"],
)  # fmt: skip
def test_literal_internal_addresses_are_refused(url: str) -> None:
    assert "refused" in refused(url, EgressPolicy())


@pytest.mark.parametrize(
    "url", ["ftp://example.org/", "file:///etc/passwd", "gopher://x/", "http:///nohost", "nonsense"]
)
def test_only_http_and_https_urls_with_a_host(url: str) -> None:
    refused(url, EgressPolicy())


def test_unknown_names_are_refused(dns: LocalDns) -> None:
    assert "cannot be resolved" in refused("http://nowhere.test/", policy(dns))


def test_allow_list_by_network_name_and_wildcard(dns: LocalDns) -> None:
    assert asyncio.run(vet_url("http://internal.test/", policy(dns, "10.20.30.0/24")))
    assert asyncio.run(vet_url("http://internal.test/", policy(dns, "internal.test")))
    assert asyncio.run(vet_url("http://api.corp.test/", policy(dns, "*.corp.test")))
    assert asyncio.run(vet_url("http://mapped.test/", policy(dns, "127.0.0.1")))  # embedded v4
    refused("http://internal.test/", policy(dns, "*.internal.test"))  # not the name itself
    refused("http://private.test/", policy(dns, "10.20.30.0/24"))


def test_allow_entries_are_validated() -> None:
    assert str(parse_allow_entry("10.0.0.0/8")) == "10.0.0.0/8"
    assert parse_allow_entry("Hooks.Internal.") == "hooks.internal"
    for bad in ("not a host", "0x7f.1", "", "http://x/"):
        with pytest.raises(ValueError, match="neither a CIDR"):
            parse_allow_entry(bad)


def test_public_addresses_have_no_problem() -> None:
    import ipaddress

    for text in (PUBLIC_V4, PUBLIC_V6, "8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8"):
        assert address_problem(ipaddress.ip_address(text)) is None, text


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records where a connection would go and refuses it: nothing leaves the machine."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.connects.append((host, port))
        raise httpcore.ConnectError(f"test backend: not connecting to {host}")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def test_dns_rebinding_connects_to_the_vetted_address_only(dns: LocalDns) -> None:
    dns.add("rebind.test", [PUBLIC_V4], ["127.0.0.1"])  # public first, loopback afterwards
    backend = RecordingBackend()

    async def main() -> None:
        async with egress_client(policy(dns), network_backend=backend) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("http://rebind.test:8080/hook")

    asyncio.run(main())
    assert backend.connects == [(PUBLIC_V4, 8080)]  # never a second lookup, never 127.0.0.1
    assert dns.lookups("rebind.test") == 1
    # the next request is vetted again and sees the loopback answer: refused, nothing connected
    assert "127.0.0.1, a loopback address" in refused("http://rebind.test:8080/", policy(dns))


def test_pinned_request_reaches_the_vetted_loopback_with_its_host_header(dns: LocalDns) -> None:
    dns.add("pinned.test", ["127.0.0.1"], ["10.9.9.9"])  # a second lookup would go elsewhere
    with receiver() as sink:

        async def main() -> tuple[int, str]:
            async with egress_client(policy(dns, "127.0.0.1")) as client:
                ok = await client.post(f"http://pinned.test:{sink.port}/hook", content=b"x")
                with pytest.raises(EgressRefused, match=r"10\.9\.9\.9, a private address"):
                    await client.post(f"http://pinned.test:{sink.port}/hook", content=b"y")
                return ok.status_code, sink.wait_for(1)[0].headers["host"]

        status, host = asyncio.run(main())
    assert status == 200
    assert host == f"pinned.test:{sink.port}"
    assert len(sink.requests) == 1


def test_redirects_are_not_followed(dns: LocalDns) -> None:
    with receiver() as sink:
        sink.answer(302, location="http://169.254.169.254/latest/meta-data/")

        async def main() -> httpx.Response:
            async with egress_client(EgressPolicy(["127.0.0.1"])) as client:
                return await client.get(f"{sink.url}/hook")

        response = asyncio.run(main())
    assert response.status_code == 302
    assert len(sink.requests) == 1


def test_proxy_environment_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.0.0.1:3128")
    with receiver() as sink:

        async def main() -> int:
            async with egress_client(EgressPolicy(["127.0.0.1"]), timeout_secs=5) as client:
                return (await client.get(f"{sink.url}/direct")).status_code

        assert asyncio.run(main()) == 200
    assert sink.requests[0].path == "/direct"


def _tls_pair(name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(name).configure_cert(server)
    client = ssl.create_default_context()
    authority.configure_trust(client)
    return server, client


def test_tls_verifies_the_url_host_while_connecting_to_the_pinned_address(dns: LocalDns) -> None:
    server_tls, client_tls = _tls_pair("tls.test")
    dns.add("tls.test", ["127.0.0.1"])
    dns.add("other.test", ["127.0.0.1"])
    with receiver(tls=server_tls) as sink:

        async def call(host: str) -> int:
            egress = policy(dns, "127.0.0.1")
            async with egress_client(egress, ssl_context=client_tls) as client:
                return (await client.get(f"https://{host}:{sink.port}/secure")).status_code

        assert asyncio.run(call("tls.test")) == 200
        with pytest.raises(httpx.ConnectError, match=r"(?i)certificate|hostname"):
            asyncio.run(call("other.test"))  # the certificate is for tls.test
    assert [r.headers["host"] for r in sink.requests] == [f"tls.test:{sink.port}"]


def test_the_transport_keeps_its_pinning_pool() -> None:
    transport = EgressTransport(EgressPolicy())
    assert isinstance(transport._pool, httpcore.AsyncConnectionPool)
    assert transport._pool._network_backend is transport.backend
