"""API schemas: user rules — CRUD, effective set per source, tester and statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from loghealth.api.schemas.common import LevelName, SeverityName, StrictIn
from loghealth.model import Area, Category
from loghealth.rules.schema import ID_PATTERN, AppliesTo, Examples, SignatureText, Threshold

__all__ = [
    "SCOPE_PATTERN",
    "EffectiveRuleOut",
    "EffectiveRulesOut",
    "LevelName",
    "RuleIn",
    "RuleOut",
    "RulePatchIn",
    "RuleStatsOut",
    "RuleTestIn",
    "RuleTestOut",
    "RuleTestRecordOut",
    "SeverityName",
    "VerdictOut",
]


SCOPE_PATTERN = r"^[^\x00-\x1f\x7f]+$"
"""A scope: `global` or a source id (`file:/var/log/app.log`, `client:kiosk-7`…)."""


class RulePatchIn(StrictIn):
    """A partial change of a stored rule: only the fields sent change (`null` clears one).

    The merged rule is validated again as a whole (422 with the path of what is wrong).
    """

    scope: str | None = Field(None, min_length=1, max_length=512, pattern=SCOPE_PATTERN)
    enabled: bool | None = None
    patterns: list[str] | None = Field(None, min_length=1, max_length=64)
    severity: SeverityName | None = None
    category: Category | None = None
    area: Area | None = None
    min_level: LevelName | None = None
    logger_prefix: str | None = Field(None, max_length=256)
    applies_to: AppliesTo | None = None
    threshold: Threshold | None = None
    cooldown_secs: int | None = Field(None, ge=0, le=2_147_483_647)
    docs_url: str | None = Field(None, max_length=2048)
    docs_anchor: str | None = Field(None, max_length=256)
    auto_heal: str | None = Field(
        None,
        pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
        max_length=64,
        description="a remediation action defined in the server's config (422 if unknown)",
    )
    examples: Examples | None = None
    text: SignatureText | None = None


class RuleIn(RulePatchIn):
    """A user rule: the fields of a signature (catalog/README.md) plus its `scope`.

    `scope` is `global` (every source) or a source id (that source only). A rule whose id is a
    shipped signature's replaces that signature.
    """

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    scope: str = Field("global", min_length=1, max_length=512, pattern=SCOPE_PATTERN)
    enabled: bool = True
    patterns: list[str] = Field(min_length=1, max_length=64)
    severity: SeverityName
    category: Category
    area: Area


class RuleOut(BaseModel):
    """A stored rule. `spec` is None for a row that only disables or enables a signature.

    `overrides` names the pack of the shipped signature (or `rules` for a rule file's rule) this
    rule replaces or switches, else None.
    """

    id: str
    scope: str
    enabled: bool
    spec: dict[str, Any] | None
    overrides: str | None
    created_at: datetime
    updated_at: datetime


class EffectiveRuleOut(BaseModel):
    """One entry of an effective set: where it comes from and its gates.

    `origin`: `signature` (a shipped pack), `rule_file` (settings `rules:`) or `stored_rule`
    (the API; `scope` says which).
    """

    id: str
    pack: str
    origin: Literal["signature", "rule_file", "stored_rule"]
    scope: str | None
    severity: SeverityName
    category: str
    area: str
    patterns: list[str]
    min_level: str | None
    logger_prefix: str | None
    formats: list[str]


class EffectiveRulesOut(BaseModel):
    """The effective set for a source (or for all when `source_id` is None).

    `disabled` lists ids of shipped signatures and rule-file rules left out by stored rules;
    `errors` are rules left out because they do not validate or compile. `is_live` is True:
    under `serve`, a source with rules of its own is matched by an engine with exactly this set.
    """

    source_id: str | None
    signatures: list[EffectiveRuleOut]
    disabled: list[str]
    errors: list[str]
    is_live: bool


class RuleTestIn(StrictIn):
    """Sample lines to test against the effective set of `source` (global when None).

    The lines' format is detected as a whole (or forced with `format`); `rule` is an unsaved
    rule tested as if it were stored.
    """

    lines: list[str] = Field(min_length=1, max_length=1000)
    format: str | None = Field(None, max_length=64)
    source: str | None = Field(None, min_length=1, max_length=512, pattern=SCOPE_PATTERN)
    rule: RuleIn | None = None


class VerdictOut(BaseModel):
    """A signature whose pattern is found in the record and the gate that decided it.

    `search time budget exceeded`: a user rule's search gave up (`rules.compile.BudgetedPattern`).
    """

    signature_id: str
    gate: Literal["passed", "pattern not found", "format gate", "level gate", "logger gate",
                  "below min_count", "search time budget exceeded"]  # fmt: skip
    detail: str


class RuleTestRecordOut(BaseModel):
    """One parsed record (from `line`), the signature it hits, captures and every verdict.

    `captures` are the matched pattern's groups (by name, or `1`, `2`… when unnamed).
    """

    line: int
    timestamp: datetime | None
    level: str | None
    logger: str | None
    format: str
    message: str
    matched: str | None
    captures: dict[str, str | None]
    verdicts: list[VerdictOut]


class RuleTestOut(BaseModel):
    """The verdicts per record, and what did not compile (e.g. the tested rule)."""

    format: str
    records: list[RuleTestRecordOut]
    errors: list[str]


class RuleStatsOut(BaseModel):
    """Rule figures: hits per signature (stored findings), drops by reason (all sources).

    Also the errors of the live engine's rules, the running sources (`active_tails`) and how
    many rules are stored (and disabled).
    """

    hits_by_signature: dict[str, int]
    drops_by_reason: dict[str, int]
    compile_errors: list[str]
    active_tails: list[str]
    stored_rules: int
    disabled_rules: int
    is_live: bool
