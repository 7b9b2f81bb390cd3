"""A DNS server on a loopback UDP port (dnslib) and a resolver for the egress guard that asks it.

Tests map names to addresses (private, metadata, IPv4-mapped…) without touching /etc/hosts: the
guard really resolves them over DNS. A name may have a sequence of answers (the first query gets
the first, later queries the next, the last repeats) to play DNS rebinding.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from dnslib import AAAA, QTYPE, RCODE, RR, A, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class _Answers(BaseResolver):  # type: ignore[misc]
    """Answers by name; an A query takes the next answer set, AAAA repeats the current one."""

    def __init__(self) -> None:
        self.names: dict[str, list[list[str]]] = {}
        self.current: dict[str, list[str]] = {}
        self.queries: dict[str, int] = {}
        self.lock = threading.Lock()

    def _answer(self, name: str, qtype: str) -> list[str] | None:
        with self.lock:
            sequence = self.names.get(name)
            if sequence is None:
                return None
            if qtype == "A" or name not in self.current:
                self.queries[name] = self.queries.get(name, 0) + (qtype == "A")
                self.current[name] = sequence.pop(0) if len(sequence) > 1 else sequence[0]
            return self.current[name]

    def resolve(self, request: DNSRecord, handler: object) -> DNSRecord:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        answer = self._answer(name, qtype)
        if answer is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for text in answer:
            version = ipaddress.ip_address(text).version
            if qtype == "A" and version == 4:
                reply.add_answer(RR(name, QTYPE.A, rdata=A(text), ttl=0))
            elif qtype == "AAAA" and version == 6:
                reply.add_answer(
                    RR(name, QTYPE.AAAA, rdata=AAAA(ipaddress.ip_address(text).exploded), ttl=0)
                )
        return reply


class LocalDns:
    """The running server: `add(name, *answers)`, `resolver` for `EgressPolicy(resolver=…)`."""

    def __init__(self) -> None:
        self._answers = _Answers()
        self._server = DNSServer(
            self._answers, address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda _: None)
        )
        self.port: int = self._server.server.server_address[1]

    def add(self, name: str, *answers: Sequence[str]) -> None:
        """Answer `name` with `answers[0]`, then `answers[1]`… (each a list of addresses)."""
        self._answers.names[name.lower()] = [list(a) for a in answers]

    def lookups(self, name: str) -> int:
        """How many lookups (A queries) of `name` the server answered."""
        return self._answers.queries.get(name.lower(), 0)

    def _query(self, host: str, qtype: str) -> list[str]:
        response = DNSRecord.parse(
            DNSRecord.question(host, qtype).send("127.0.0.1", self.port, timeout=2)
        )
        if response.header.rcode == RCODE.NXDOMAIN:
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: no such name (local DNS)")
        return [str(rr.rdata) for rr in response.rr if QTYPE[rr.rtype] == qtype]

    async def resolver(self, host: str, port: int) -> list[str]:
        """Resolve like getaddrinfo does: A, then AAAA (over UDP to the local server)."""
        v4 = await asyncio.to_thread(self._query, host, "A")
        v6 = await asyncio.to_thread(self._query, host, "AAAA")
        return v4 + v6

    def start(self) -> None:
        self._server.start_thread()

    def stop(self) -> None:
        self._server.stop()
        self._server.server.server_close()


@contextmanager
def local_dns() -> Iterator[LocalDns]:
    server = LocalDns()
    server.start()
    try:
        yield server
    finally:
        server.stop()
