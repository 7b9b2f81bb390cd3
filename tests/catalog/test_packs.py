"""The catalog is data, tested like code: schema, texts, every example of every signature."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest

from loghealth.engine import Engine
from loghealth.model import Area
from loghealth.parsing import ParseContext, parse_lines
from loghealth.rules.loader import Signature, available_packs, load_catalog
from loghealth.rules.schema import Tier

CATALOG = load_catalog()
CTX = ParseContext(tz=UTC, now=datetime(2026, 11, 21, tzinfo=UTC), source="example.log")
ENGINE = Engine(CATALOG)
SIGNATURES = CATALOG.signatures
REQUIRED_LANGUAGES = {"smarty": ("en", "ru")}


def _ids(signatures: list[Signature]) -> list[str]:
    return [s.id for s in signatures]


def _hit(line: str) -> str | None:
    records = parse_lines([line], CTX)
    assert len(records) == 1, f"example must be one record: {line!r}"
    hit = ENGINE.matcher.match(records[0])
    return hit.signature_id if hit else None


def test_shipped_packs_load_and_compile() -> None:
    assert set(available_packs()) >= {"generic", "bambuddy", "smarty"}
    assert CATALOG.errors == []
    assert ENGINE.errors == []


def test_every_signature_has_examples() -> None:
    missing = [s.id for s in SIGNATURES if s.spec.examples is None]
    assert missing == []


@pytest.mark.parametrize("signature", SIGNATURES, ids=_ids(SIGNATURES))
def test_text_in_every_required_language(signature: Signature) -> None:
    for language in REQUIRED_LANGUAGES.get(signature.pack, ("en",)):
        entry = CATALOG.texts.get(language, {}).get(signature.id, {})
        for key in ("name", "cause", "fix"):
            assert entry.get(key, "").strip(), f"{signature.id}: no {language} {key}"
    assert signature.spec.text is None, "shipped signatures keep their text in locale files"


@pytest.mark.parametrize("signature", SIGNATURES, ids=_ids(SIGNATURES))
def test_match_examples_hit_exactly_their_signature(signature: Signature) -> None:
    assert signature.spec.examples is not None
    for line in signature.spec.examples.match:
        assert _hit(line) == signature.id, f"{line!r} should be hit by {signature.id}"


@pytest.mark.parametrize("signature", SIGNATURES, ids=_ids(SIGNATURES))
def test_no_match_examples_hit_nothing(signature: Signature) -> None:
    assert signature.spec.examples is not None
    for line in signature.spec.examples.no_match:
        assert _hit(line) is None, f"{line!r} must not be hit (hit by {_hit(line)})"


@pytest.mark.parametrize("signature", SIGNATURES, ids=_ids(SIGNATURES))
def test_docs_link(signature: Signature) -> None:
    assert signature.docs_url and signature.docs_url.startswith("https://"), signature.id


ADVERSARIAL = (
    "a" * 100_000,
    "error " * 20_000,
    "connection " + "=" * 50_000 + " refused",
    "Traceback (most recent call last): " + "File x, line 1, in y " * 4_000,
    "\t" * 30_000 + "x" * 30_000,
)


LINEAR = re.compile(r"(?i)\bzq\w*x")
"""A pattern that is surely linear: what the catalog's patterns are timed against."""


def _best_of_three(regex: re.Pattern[str], line: str) -> float:
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        regex.search(line)
        timings.append(time.perf_counter() - started)
    return min(timings)


def test_no_pattern_is_slow_on_long_adversarial_lines() -> None:
    # Relative, not absolute: each pattern is timed beside a linear one on the same line, so a
    # busy machine slows both. Linear catalog patterns take up to ~10x the baseline on these
    # 100 kB lines (alternations); catastrophic backtracking takes thousands of times longer.
    slow = []
    for compiled in ENGINE.matcher.signatures:
        for line in ADVERSARIAL:
            took = _best_of_three(compiled.regex, line)
            ratio = took / max(_best_of_three(LINEAR, line), 1e-6)
            if took > 0.005 and ratio > 50:
                slow.append((compiled.signature.id, round(took, 3), round(ratio)))
    assert slow == []


def test_generic_pack_covers_every_area() -> None:
    generic = [s for s in SIGNATURES if s.pack == "generic"]
    assert len(generic) >= 40
    assert {s.spec.area for s in generic} == set(Area)


def test_bambuddy_pack_is_exactly_the_six_signatures() -> None:
    bambuddy = {s.id: s for s in SIGNATURES if s.pack == "bambuddy"}
    assert set(bambuddy) == {
        "ftp-auth-rejected",
        "ftp-connection-timeout",
        "ftp-ssl-error",
        "mqtt-connection-flapping",
        "camera-connection-refused",
        "database-locked",
    }
    assert all(s.tier is Tier.APP for s in bambuddy.values())
    assert bambuddy["database-locked"].spec.logger_prefix is None
    assert bambuddy["mqtt-connection-flapping"].spec.threshold.min_count == 5
    assert all(s.docs_url and "#" in s.docs_url for s in bambuddy.values())


def test_smarty_signatures_apply_to_smarty_records_only() -> None:
    smarty = [s for s in SIGNATURES if s.pack == "smarty"]
    assert smarty
    assert all(s.spec.applies_to.formats == ("smarty",) for s in smarty)
