"""Rules: pydantic models of the catalog's YAML — packs, signatures and user rule files.

The format is described in `loghealth/catalog/README.md`. Unknown keys are rejected everywhere.
"""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from loghealth.model import Area, Category, Level, Severity

__all__ = [
    "AppliesTo",
    "Examples",
    "PackFile",
    "PackMeta",
    "SignatureDefaults",
    "SignatureSpec",
    "SignatureText",
    "SignaturesFile",
    "Threshold",
    "Tier",
]

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Tier(enum.IntEnum):
    """Who wins when two entries match one record: user rules over app packs over generic."""

    GENERIC = 0
    APP = 1
    RULE = 2


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(_Strict):
    """Report only when `min_count` hits fall within `window_secs` (None: anywhere in the scan)."""

    min_count: int = Field(1, ge=1, description="hits needed before the signature is reported")
    window_secs: int | None = Field(
        None, gt=0, description="sliding window on record time, seconds"
    )


class AppliesTo(_Strict):
    """Restricts a signature to records of some formats (parser names)."""

    formats: tuple[str, ...] = ()


class Examples(_Strict):
    """Raw single log lines: `match` must be hit by exactly this signature, `no_match` by none."""

    match: tuple[str, ...] = Field(min_length=1)
    no_match: tuple[str, ...] = Field(min_length=1)


class SignatureText(_Strict):
    """Human text of a user rule (shipped signatures keep theirs in locale files)."""

    name: str
    cause: str = ""
    fix: str = ""


def _level(value: object) -> object:
    if isinstance(value, str):
        name = value.strip().upper()
        try:
            return Level[{"WARN": "WARNING", "FATAL": "CRITICAL"}.get(name, name)]
        except KeyError:
            raise ValueError(
                f"unknown level {value!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL"
            ) from None
    return value


def _severity(value: object) -> object:
    return Severity.parse(value) if isinstance(value, str) else value


class SignatureDefaults(_Strict):
    """Pack-wide defaults for optional signature fields."""

    min_level: Level | None = None

    _min_level = field_validator("min_level", mode="before")(_level)


class SignatureSpec(_Strict):
    """One signature (shipped) or rule (user-written): see catalog/README.md for each field."""

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    patterns: tuple[str, ...] = Field(min_length=1)
    severity: Severity
    category: Category
    area: Area
    min_level: Level | None = None
    logger_prefix: str | None = None
    applies_to: AppliesTo = AppliesTo()
    threshold: Threshold = Threshold()
    cooldown_secs: int = Field(0, ge=0, description="after a counted hit, drop hits for this long")
    docs_url: str | None = None
    docs_anchor: str | None = None
    auto_heal: str | None = Field(
        None,
        pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
        max_length=64,
        description="name of a remediation action (settings `remediation.actions`) to run",
    )
    enabled: bool = True
    examples: Examples | None = None
    text: SignatureText | None = None

    _min_level = field_validator("min_level", mode="before")(_level)
    _severity = field_validator("severity", mode="before")(_severity)


class SignaturesFile(_Strict):
    """A file of signatures: `signatures/NNN_topic.yaml` in a pack, or a user rules file."""

    signatures: tuple[SignatureSpec, ...] = ()


class PackMeta(_Strict):
    """`pack.yaml`: a pack's name, version, tier and defaults."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    version: int = Field(ge=1)
    tier: str = Field(pattern=r"^(generic|app)$")
    description: str = ""
    docs_base: str | None = None
    defaults: SignatureDefaults = SignatureDefaults()
    redact_patterns: tuple[str, ...] = Field(
        (),
        description="regexes of this app's sensitive values (device serials…), redacted as <id-N>",
    )


class PackFile(_Strict):
    """A loaded pack: its metadata and all its signatures (across its files)."""

    meta: PackMeta
    signatures: tuple[SignatureSpec, ...]
