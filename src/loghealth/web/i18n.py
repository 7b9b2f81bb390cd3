"""Dashboard: translations — locale files, language negotiation and the `t()` of the templates.

Every visible string lives in `web/locales/<lang>.yaml` (nested mappings, read as dotted keys:
`nav.overview`). The language is the `loghealth_lang` cookie (set by the switcher), else the best
`Accept-Language` match (RFC 9110 §12.5.4, q-values honoured), else English. A key missing in
a language falls back to English; a key missing everywhere shows as itself (the tests forbid it).
Signature names, causes and fixes come from the catalog's own locale files, not from here.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "Translator",
    "load_messages",
    "negotiate",
]

DEFAULT_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский"}
"""Shipped languages: code -> its own name (shown by the switcher)."""

LANGUAGE_COOKIE = "loghealth_lang"


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = str(value)
    return flat


@cache
def load_messages(lang: str) -> dict[str, str]:
    """The messages of a shipped language as `{dotted.key: text}` (cached).

    Raises:
        KeyError: `lang` is not in `LANGUAGES`.
        yaml.YAMLError: the locale file is not valid YAML.
    """
    if lang not in LANGUAGES:
        raise KeyError(lang)
    text = (resources.files("loghealth.web") / "locales" / f"{lang}.yaml").read_text("utf-8")
    return _flatten(yaml.safe_load(text) or {})


def _ranked(accept_language: str) -> list[tuple[float, int, str]]:
    ranked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().lower().split("-", 1)[0]))
    return sorted(ranked)


def negotiate(accept_language: str | None, cookie: str | None = None) -> str:
    """The language to show: a shipped `cookie` value, else the best `Accept-Language` match."""
    if cookie in LANGUAGES:
        return str(cookie)
    for _quality, _position, primary in _ranked(accept_language or ""):
        if primary in LANGUAGES:
            return primary
        if primary == "*":
            break
    return DEFAULT_LANGUAGE


class Translator:
    """`t(key, **params)`: the text of `key` in `lang` with `{name}` placeholders filled."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self._messages = load_messages(self.lang)
        self._fallback = load_messages(DEFAULT_LANGUAGE)

    def __call__(self, key: str, **params: Any) -> str:
        """The text of `key` (English, then the key itself, when missing) with `params` filled."""
        text = self._messages.get(key) or self._fallback.get(key) or key
        return text.format(**params) if params else text

    def has(self, key: str) -> bool:
        """True when `key` has a text in this language or in English."""
        return key in self._messages or key in self._fallback
