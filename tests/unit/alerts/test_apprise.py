"""Apprise URLs: hosts vetted by the guard first, then Apprise sends (to a loopback receiver)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from loghealth.alerts import DeliveryError, Notification
from loghealth.alerts.apprise import AppriseNotifier, hosts_to_vet, preview
from loghealth.egress import EgressPolicy
from loghealth.engine.lifecycle import EventKind
from tests.local_dns import LocalDns, local_dns
from tests.receiver import Receiver, receiver
from tests.unit.alerts.notices import notification

pytest.importorskip("apprise")


@pytest.fixture
def sink() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


@pytest.fixture(scope="module")
def dns() -> Iterator[LocalDns]:
    with local_dns() as server:
        server.add("mail.test", ["93.184.215.14"])
        yield server


def send(urls: list[str], note: Notification, egress: EgressPolicy) -> None:
    asyncio.run(AppriseNotifier(urls, egress, timeout_secs=10).send(note))


@pytest.mark.parametrize(
    ("url", "hosts"),
    [
        ("json://127.0.0.1:8080/hook", [("127.0.0.1", 8080)]),
        ("ntfys://ntfy.example/topic", [("ntfy.example", 443)]),
        ("mailtos://user:pw@mail.test?smtp=10.0.0.5:25", [("mail.test", 443), ("10.0.0.5", 25)]),
        ("slack://TokenA/TokenB/TokenC", []),
        ("tgram://123456:abcdef/987", []),
        ("https://discord.com/api/webhooks/1/abc", [("discord.com", 443)]),
    ],
)
def test_hosts_to_vet(url: str, hosts: list[tuple[str, int]]) -> None:
    assert hosts_to_vet(url) == hosts


def test_preview_hides_credentials_and_tokens() -> None:
    assert preview("mailtos://user:pw@mail.test/?to=x") == "mailtos://mail.test/…"
    assert preview("slack://TokenA/TokenB/TokenC") == "slack://…"


def test_sends_title_and_text_to_an_allowed_receiver(sink: Receiver) -> None:
    send([f"json://127.0.0.1:{sink.port}/hook"], notification(), EgressPolicy(["127.0.0.1"]))
    (got,) = sink.wait_for(1)
    assert got.path == "/hook"
    body = got.json()
    assert body["title"] == notification().title()
    assert body["message"] == notification().text()
    assert body["type"] == "failure"  # an error finding opened


def test_recovery_is_a_success_message(sink: Receiver) -> None:
    note = notification(event=EventKind.RESOLVED)
    send([f"json://127.0.0.1:{sink.port}/hook"], note, EgressPolicy(["127.0.0.1"]))
    assert sink.wait_for(1)[0].json()["type"] == "success"


def test_refused_hosts_are_never_handed_to_apprise(sink: Receiver, dns: LocalDns) -> None:
    with pytest.raises(DeliveryError, match="loopback") as caught:
        send([f"json://127.0.0.1:{sink.port}/hook"], notification(), EgressPolicy())
    assert not caught.value.is_retryable
    smtp = "mailtos://user:pw@mail.test?smtp=10.0.0.5"
    with pytest.raises(DeliveryError, match=r"10\.0\.0\.5"):
        send([smtp], notification(), EgressPolicy(resolver=dns.resolver))
    assert sink.requests == []


def test_a_failed_url_is_retried_alone(sink: Receiver) -> None:
    sink.answer(200, 500)
    urls = [f"json://127.0.0.1:{sink.port}/a", f"json://127.0.0.1:{sink.port}/b"]
    notifier = AppriseNotifier(urls, EgressPolicy(["127.0.0.1"]), timeout_secs=10)
    note = notification(delivery_id=99)
    with pytest.raises(DeliveryError) as caught:
        asyncio.run(notifier.send(note))
    assert caught.value.is_retryable and "json://127.0.0.1/…" in str(caught.value)
    asyncio.run(notifier.send(note))  # the retry of delivery 99
    assert [r.path for r in sink.wait_for(3)] == ["/a", "/b", "/b"]


def test_an_invalid_url_is_not_retried() -> None:
    with pytest.raises(DeliveryError, match="not a valid Apprise URL") as caught:
        send(["nosuchscheme://whatever"], notification(), EgressPolicy(resolver=refuse_lookups))
    assert not caught.value.is_retryable


async def refuse_lookups(host: str, port: int) -> list[str]:
    raise AssertionError(f"{host} was looked up: invalid URLs must be refused before any lookup")
