"""Engine: remove secrets and personal data from text before it leaves the engine.

Replaces IPv4/IPv6 addresses, e-mail addresses, URL credentials, bearer tokens, JWTs, common
API-key shapes (AWS, GitHub, GitLab, Slack, Stripe, Google), `password|secret|token|api_key|
access_code…=value` pairs and user-given strings with typed placeholders such as `<ip-1>`.
Placeholders are consistent within one `Redactor` (the same value reads the same in a whole
report) and redaction is idempotent (placeholders are never redacted again).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

__all__ = ["Redactor"]

_PLACEHOLDER = r"<[a-z]+-\d+>"
# names of keys whose values are secret (not a secret itself)
_SECRET_KEYS = (
    r"passw(?:or)?d|passwd|pwd|secret|client_secret|token|access_token|refresh_token|auth_token|"  # noqa: S105
    r"api[_-]?key|apikey|access[_-]?code|access[_-]?key|private[_-]?key|session[_-]?id|credentials?"
)
# key=value, key: value, "key": "value", 'key'='value'  (value: quoted or up to a delimiter)
_KEY_VALUE = re.compile(
    rf"""(?P<key>["']?\b(?:{_SECRET_KEYS})["']?\s*[=:]\s*)"""
    rf"""(?P<value>"(?!{_PLACEHOLDER}")[^"\s]{{1,512}}"|'(?!{_PLACEHOLDER}')[^'\s]{{1,512}}'|(?!{_PLACEHOLDER})[^\s,;&"'<>)\]}}]{{1,512}})""",
    re.IGNORECASE,
)
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>\b[a-z][a-z0-9+.-]{1,20}://)(?P<user>[^\s:/@<>]{1,128}):(?P<password>[^\s/@<>]{1,256})@",
    re.IGNORECASE,
)
_BEARER = re.compile(
    r"\b(?P<kind>Bearer|Basic|Token)\s+(?!<)(?P<value>[A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{0,}")
_API_KEYS = re.compile(
    r"\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35})\b"
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}\b")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])"
)


class Redactor:
    """Redacts text with placeholders that stay consistent for this instance's lifetime.

    `values` are user-given strings (printer names, serial numbers…) redacted wherever they occur,
    case-insensitively, as `<value-N>`. `patterns` are regexes of app-specific sensitive values
    (declared by packs, e.g. printer serials), redacted as `<id-N>`.

    Raises:
        re.error: a pattern does not compile.
    """

    def __init__(self, values: Iterable[str] = (), patterns: Iterable[str] = ()) -> None:
        self._mapping: dict[tuple[str, str], str] = {}
        self._counters: dict[str, int] = {}
        literal = sorted({v for v in values if v and v.strip()}, key=len, reverse=True)
        self._values = (
            re.compile("|".join(map(re.escape, literal)), re.IGNORECASE) if literal else None
        )
        shapes = [f"(?:{p})" for p in patterns]
        self._shapes = re.compile("|".join(shapes)) if shapes else None

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value.lower() if kind in ("value", "email") else value)
        found = self._mapping.get(key)
        if found is None:
            self._counters[kind] = self._counters.get(kind, 0) + 1
            found = f"<{kind}-{self._counters[kind]}>"
            self._mapping[key] = found
        return found

    def _ipv4(self, match: re.Match[str]) -> str:
        text = match.group(0)
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            return text
        return self._placeholder("ip", text)

    def _ipv6(self, match: re.Match[str]) -> str:
        text = match.group(0)
        if text.count(":") < 2:
            return text
        try:
            address = ipaddress.IPv6Address(text)
        except ValueError:
            return text
        return self._placeholder("ip", str(address))

    def redact(self, text: str) -> str:
        """Return `text` with every secret replaced by its placeholder."""
        if self._values is not None:
            text = self._values.sub(lambda m: self._placeholder("value", m.group(0)), text)
        if self._shapes is not None:
            text = self._shapes.sub(lambda m: self._placeholder("id", m.group(0)), text)
        text = _URL_CREDENTIALS.sub(
            lambda m: (
                f"{m['scheme']}{self._placeholder('user', m['user'])}:"
                f"{self._placeholder('secret', m['password'])}@"
            ),
            text,
        )
        text = _JWT.sub(lambda m: self._placeholder("token", m.group(0)), text)
        text = _BEARER.sub(lambda m: f"{m['kind']} {self._placeholder('token', m['value'])}", text)
        text = _API_KEYS.sub(lambda m: self._placeholder("key", m.group(0)), text)
        text = _KEY_VALUE.sub(lambda m: m["key"] + self._quoted_secret(m["value"]), text)
        text = _EMAIL.sub(lambda m: self._placeholder("email", m.group(0)), text)
        text = _IPV4.sub(self._ipv4, text)
        return _IPV6.sub(self._ipv6, text)

    def _quoted_secret(self, value: str) -> str:
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            return f"{value[0]}{self._placeholder('secret', value[1:-1])}{value[0]}"
        return self._placeholder("secret", value)
