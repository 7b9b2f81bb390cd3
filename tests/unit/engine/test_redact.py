"""Redaction: secrets never survive, placeholders are consistent, redaction is idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loghealth.engine import Redactor


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("connect to 192.168.1.23:8883 failed", "192.168.1.23"),
        ("peer 2001:db8::1 closed", "2001:db8::1"),
        ("mail bob.smith@example.com bounced", "bob.smith@example.com"),
        ("postgresql://app:s3cr3t@db:5432/app", "s3cr3t"),
        ("Authorization: Bearer abcdefghijklmnop123", "abcdefghijklmnop123"),
        (
            "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "eyJhbGciOiJIUzI1NiJ9",
        ),
        ("key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"),
        ("password=hunter2 user=bob", "hunter2"),
        ("{'access_code': '12345678'}", "12345678"),
        ('"api_key": "sk-abc123"', "sk-abc123"),
        (
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        ),
    ],
)
def test_secret_is_removed(text: str, secret: str) -> None:
    assert secret not in Redactor().redact(text)


def test_user_values_and_consistent_placeholders() -> None:
    redactor = Redactor(["X1C-Garage", "01P00A123456789"])
    first = redactor.redact("printer X1C-Garage (01P00A123456789) at 10.0.0.5")
    second = redactor.redact("x1c-garage lost 10.0.0.5, 10.0.0.6 took over")
    assert first == "printer <value-1> (<value-2>) at <ip-1>"
    assert second == "<value-1> lost <ip-1>, <ip-2> took over"


def test_versions_and_times_are_not_ips() -> None:
    text = "version 1.2.3.4.5 at 10:00:00 took 3.5s"
    assert Redactor().redact(text) == text


_SECRETS = st.from_regex(r"[A-Za-z0-9]{8,20}", fullmatch=True)
_NOISE = st.text(alphabet=st.characters(codec="ascii", exclude_characters="\x00"), max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    _NOISE,
    _SECRETS,
    _NOISE,
    st.sampled_from(["password", "token", "api_key", "secret", "access_code"]),
)
def test_key_value_secrets_never_survive(before: str, secret: str, after: str, key: str) -> None:
    text = f"{before} {key}={secret} {after}"
    redacted = Redactor().redact(text)
    assert f"{key}={secret}" not in redacted


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_redaction_is_idempotent_and_never_raises(text: str) -> None:
    redactor = Redactor(["Garage"])
    once = redactor.redact(text)
    assert redactor.redact(once) == once


@settings(max_examples=100, deadline=None)
@given(st.ip_addresses(v=4), _NOISE)
def test_ipv4_never_survives(address: object, noise: str) -> None:
    text = f"{noise} from {address} port 22"
    assert f" {address} " not in Redactor().redact(text)


def test_pack_patterns_redact_app_specific_values() -> None:
    redactor = Redactor(patterns=[r"\b0[0-9A-Z]{2}[0-9A-Z]{12}\b"])
    assert redactor.redact("[01P00A451200117] reconnect") == "[<id-1>] reconnect"
