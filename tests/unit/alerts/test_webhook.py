"""The JSON webhook against a real receiver on loopback: payload, HMAC, errors, retries."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Iterator

import pytest

from loghealth.alerts import DeliveryError, Notification, deliver, retry_delay_secs
from loghealth.alerts.webhook import WebhookNotifier, encode_body, sign, verify
from loghealth.clock import FixedClock
from loghealth.egress import EgressPolicy, egress_client
from tests.receiver import Receiver, receiver
from tests.unit.alerts.notices import T0, notification

ALLOW_LOOPBACK = EgressPolicy(["127.0.0.1"])
CLOCK = FixedClock(T0)
SECRET = "s3cret"  # noqa: S105 - a test key


@pytest.fixture
def sink() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


def send(
    url: str, note: Notification, *, secret: str | None = None,
    egress: EgressPolicy = ALLOW_LOOPBACK, headers: dict[str, str] | None = None,
) -> int:  # fmt: skip
    async def main() -> int:
        async with egress_client(egress, timeout_secs=5) as client:
            notifier = WebhookNotifier(url, client, CLOCK, secret=secret, headers=headers)
            return await notifier.send(note)

    return asyncio.run(main())


def test_payload_headers_and_signature(sink: Receiver) -> None:
    status = send(f"{sink.url}/hook", notification(), secret=SECRET,
                  headers={"Authorization": "Bearer abc"})  # fmt: skip
    assert status == 200
    (got,) = sink.wait_for(1)
    assert got.method == "POST" and got.path == "/hook"
    headers = got.headers
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["authorization"] == "Bearer abc"
    assert headers["x-loghealth-event"] == "opened"
    assert headers["x-loghealth-delivery"] == "42"
    assert headers["x-loghealth-timestamp"] == str(int(T0.timestamp()))
    # the receiver's check (README): HMAC-SHA256 over "<timestamp>.<body>" with the secret
    expected = hmac.new(
        b"s3cret", headers["x-loghealth-timestamp"].encode() + b"." + got.body, hashlib.sha256
    ).hexdigest()
    assert headers["x-loghealth-signature"] == f"sha256={expected}"
    assert verify("s3cret", headers["x-loghealth-timestamp"], got.body,
                  headers["x-loghealth-signature"])  # fmt: skip
    assert not verify("other", headers["x-loghealth-timestamp"], got.body,
                      headers["x-loghealth-signature"])  # fmt: skip
    body = got.json()
    assert body["version"] == 1 and body["event"] == "opened" and body["is_test"] is False
    assert body["trigger"] == {"id": 7, "name": "db alerts"}
    assert body["created_at"] == "2026-05-01T10:00:00Z"
    (finding,) = body["findings"]
    assert finding["sample"] == "FATAL:  sorry, too many clients already"
    assert finding["severity"] == "error"
    assert finding["cause"] and finding["fix"] and finding["name"] == "Too many clients"
    assert finding["docs_url"].startswith("https://")
    assert finding["dashboard_url"] == "http://localhost:8470/findings/1"
    assert body["title"] == (
        "[loghealth] error: Too many clients opened on file:/var/log/postgresql/main.log"
    )
    assert body["text"].startswith("ERROR Too many clients")
    assert got.body == encode_body(notification())  # the exact bytes that were signed


def test_no_signature_without_a_secret(sink: Receiver) -> None:
    send(f"{sink.url}/hook", notification())
    assert "x-loghealth-signature" not in sink.wait_for(1)[0].headers


def test_signature_covers_the_timestamp() -> None:
    body = b'{"a":1}'
    assert sign("k", "100", body) != sign("k", "101", body)
    assert sign("k", "100", body) == sign("k", "100", body)


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (404, False), (401, False)]
)
def test_error_status_is_a_failed_delivery(sink: Receiver, status: int, retryable: bool) -> None:
    sink.answer(status)
    with pytest.raises(DeliveryError) as caught:
        send(f"{sink.url}/hook", notification())
    assert caught.value.status_code == status
    assert caught.value.is_retryable is retryable
    assert str(caught.value).startswith(f"HTTP {status}")


def test_a_redirect_is_not_followed(sink: Receiver) -> None:
    sink.answer(302, location="http://169.254.169.254/latest/meta-data/")
    with pytest.raises(DeliveryError, match="redirects are not followed") as caught:
        send(f"{sink.url}/hook", notification())
    assert not caught.value.is_retryable
    assert len(sink.requests) == 1


def test_refused_by_the_guard_sends_nothing(sink: Receiver) -> None:
    with pytest.raises(DeliveryError, match="loopback") as caught:
        send(f"{sink.url}/hook", notification(), egress=EgressPolicy())
    assert not caught.value.is_retryable
    assert sink.requests == []


def test_connection_refused_is_retryable() -> None:
    with receiver() as closed:
        url = f"{closed.url}/hook"
    with pytest.raises(DeliveryError, match="cannot deliver") as caught:
        send(url, notification())
    assert caught.value.is_retryable


def test_retries_back_off_then_deliver(sink: Receiver) -> None:
    sink.answer(500, 503)
    waits: list[float] = []
    attempts = []

    async def fake_sleep(secs: float) -> None:
        waits.append(secs)

    async def record(attempt):
        attempts.append((attempt.number, attempt.status_code))

    async def main():
        async with egress_client(ALLOW_LOOPBACK, timeout_secs=5) as client:
            notifier = WebhookNotifier(f"{sink.url}/hook", client, CLOCK)
            return await deliver(notifier, notification(), max_attempts=5, base_secs=2,
                                 max_secs=300, sleep=fake_sleep, on_attempt=record)  # fmt: skip

    outcome = asyncio.run(main())
    assert outcome.is_delivered and outcome.attempts == 3 and outcome.status_code == 200
    assert waits == [2, 4]
    assert attempts == [(1, 500), (2, 503), (3, 200)]
    assert len(sink.requests) == 3
    # every attempt carries the same body
    assert len({r.body for r in sink.requests}) == 1


def test_gives_up_after_max_attempts_and_stops_at_once_when_not_retryable(sink: Receiver) -> None:
    sink.answer(500, 500, 500, 404)
    waits: list[float] = []

    async def fake_sleep(secs: float) -> None:
        waits.append(secs)

    async def main(max_attempts: int):
        async with egress_client(ALLOW_LOOPBACK, timeout_secs=5) as client:
            notifier = WebhookNotifier(f"{sink.url}/hook", client, CLOCK)
            return await deliver(notifier, notification(), max_attempts=max_attempts,
                                 base_secs=1, max_secs=3, sleep=fake_sleep)  # fmt: skip

    failed = asyncio.run(main(3))
    assert (failed.is_delivered, failed.attempts, failed.status_code) == (False, 3, 500)
    assert failed.last_error == "HTTP 500: ok"
    assert waits == [1, 2]
    refused = asyncio.run(main(5))  # the receiver answers 404 now
    assert (refused.is_delivered, refused.attempts, refused.status_code) == (False, 1, 404)


def test_retry_delays_are_capped() -> None:
    assert [retry_delay_secs(n, 2, 10) for n in range(2, 7)] == [2, 4, 8, 10, 10]
