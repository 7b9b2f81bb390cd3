"""Dashboard translations: complete in English and Russian, every key used exists, negotiation."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from loghealth.engine.lifecycle import Action, EventKind
from loghealth.model import Area, Category, FindingState, HealthStatus, Severity
from loghealth.store.tokens import Role
from loghealth.web.i18n import LANGUAGES, Translator, load_messages, negotiate
from loghealth.web.pages.findings import SNOOZE_CHOICES

WEB = Path(str(resources.files("loghealth.web")))
# Texts that are the same word in both languages (names, protocols, placeholders only).
SAME_IN_RUSSIAN = {
    "app.version",
    "area.tls",
    "area.http",
    "source_kind.syslog",
    "source_kind.stdin",
}


def _used_keys() -> set[str]:
    """Every literal key passed to t() in templates and page modules, and every label_key."""
    keys: set[str] = set()
    sources = [
        *(WEB / "templates").glob("*.html"),
        *(WEB / "pages").glob("*.py"),
        WEB / "render.py",
    ]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        keys.update(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", text))
        keys.update(re.findall(r"""NavItem\([^)]*?"([a-z0-9_.]+)\"""", text))
        keys.update(re.findall(r'PageError\(\d+, "([a-z0-9_.]+)"\)', text))
        keys.update(re.findall(r'error="([a-z0-9_.]+)"', text))
    return keys


def _dynamic_keys() -> set[str]:
    """Keys built from values at run time (`"severity." ~ f.severity` and alike)."""
    keys = {f"severity.{s.label}" for s in Severity}
    keys |= {f"state.{s}" for s in FindingState} | {f"category.{c}" for c in Category}
    keys |= {f"area.{a}" for a in Area} | {f"status.{s}" for s in HealthStatus}
    keys |= {f"kind.{k}" for k in EventKind} | {f"action.{a}" for a in Action}
    keys |= {f"role.{r}" for r in Role} | {f"snooze.{v}" for v in SNOOZE_CHOICES}
    keys |= {
        "status.online",
        "status.offline",
        "source_kind.other",
        "overview.range_24h",
        "overview.range_7d",
        "time.ago_min",
        "time.ago_h",
        "time.ago_d",
        "time.just_now",
    }
    return keys


def test_english_and_russian_have_the_same_keys() -> None:
    english, russian = load_messages("en"), load_messages("ru")
    assert set(english) == set(russian)
    assert len(english) > 150


def test_every_used_key_exists() -> None:
    literal = _used_keys()
    assert len(literal) > 100  # the scan finds the keys
    prefixes = {key for key in literal if key.endswith((".", "_"))}  # t("severity." ~ value)
    dynamic = _dynamic_keys()
    assert all(any(key.startswith(prefix) for key in dynamic) for prefix in prefixes), prefixes
    messages = load_messages("en")
    missing = sorted(key for key in (literal - prefixes) | dynamic if key not in messages)
    assert missing == []


def test_russian_is_translated_not_copied() -> None:
    english, russian = load_messages("en"), load_messages("ru")
    copied = sorted(k for k in english if english[k] == russian[k] and k not in SAME_IN_RUSSIAN)
    assert copied == []
    assert all(
        re.search("[а-яё]", russian[k], re.IGNORECASE) for k in russian if k not in SAME_IN_RUSSIAN
    )


def test_placeholders_match_between_languages() -> None:
    english, russian = load_messages("en"), load_messages("ru")
    for key, text in english.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", russian[key])), key


@pytest.mark.parametrize(
    ("header", "cookie", "expected"),
    [
        (None, None, "en"),
        ("ru-RU,ru;q=0.9,en;q=0.8", None, "ru"),
        ("de-DE,de;q=0.9,ru;q=0.5,en;q=0.4", None, "ru"),
        ("en;q=0.2,ru;q=0.8", None, "ru"),
        ("ru;q=0,en", None, "en"),
        ("fr", None, "en"),
        ("ru;q=abc,en", None, "en"),
        ("en", "ru", "ru"),
        ("ru", "xx", "ru"),
    ],
)
def test_negotiate(header: str | None, cookie: str | None, expected: str) -> None:
    assert negotiate(header, cookie) == expected


def test_translator_fills_placeholders_and_falls_back() -> None:
    russian = Translator("ru")
    assert russian("overview.active", n=3) == "Открытых находок: 3"
    assert russian("no.such.key") == "no.such.key"
    assert Translator("xx").lang == "en"
    assert set(LANGUAGES) == {"en", "ru"}
