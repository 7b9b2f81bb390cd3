"""Dashboard: the rule editor's form — a rule's fields as form text and back, problems by field.

The form edits the fields of a user rule (`api.schemas.RuleIn`, the signature schema of
`catalog/README.md`). What is valid is decided by the API's own checks: the request model, then
`api.routes.rules.validate_rule` (schema, pattern compile and lint, remediation action). Their
problems are sorted to the form field they belong to, so the page shows each next to its field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from loghealth.api.deps import ApiContext
from loghealth.api.routes.rules import validate_rule
from loghealth.api.schemas import RuleIn
from loghealth.rules.schema import SignatureSpec
from loghealth.store.rules import GLOBAL_SCOPE

__all__ = ["FIELD_NAMES", "GENERAL", "Problem", "RuleForm", "check_rule", "problems_by_field"]

GENERAL = "general"
"""Where problems go that belong to no field of the form (e.g. stored `examples`)."""
KEPT_FIELDS = ("examples", "docs_anchor")
"""Stored fields the form does not show; an update keeps them as they are."""
_TEXT = ("name", "cause", "fix")
_THRESHOLD = ("min_count", "window_secs")


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: the form field, the 1-based pattern line (patterns only) and the message.

    `message` is the validator's text (English, as the API reports it); `key`, when set, is the
    locale key of a message of the dashboard's own, shown instead.
    """

    field: str
    line: int | None
    message: str
    key: str = ""


@dataclass(slots=True)
class RuleForm:
    """The editor's values as text (what the browser sends back); `patterns`: one per line."""

    id: str = ""
    scope: str = GLOBAL_SCOPE
    is_enabled: bool = True
    name: str = ""
    cause: str = ""
    fix: str = ""
    patterns: str = ""
    severity: str = "error"
    category: str = "bug"
    area: str = "process"
    min_level: str = ""
    logger_prefix: str = ""
    formats: str = ""
    min_count: str = ""
    window_secs: str = ""
    cooldown_secs: str = ""
    docs_url: str = ""
    auto_heal: str = ""

    @classmethod
    def from_body(
        cls, rule_id: str, body: Mapping[str, Any], scope: str, is_enabled: bool
    ) -> RuleForm:
        """The form of a stored body (`rule_body` shape: defaults left out, names as text)."""
        text = body.get("text") or {}
        threshold = body.get("threshold") or {}
        formats = (body.get("applies_to") or {}).get("formats") or ()
        return cls(
            id=rule_id, scope=scope, is_enabled=is_enabled,
            name=text.get("name", ""), cause=text.get("cause", ""), fix=text.get("fix", ""),
            patterns="\n".join(body.get("patterns") or ()),
            severity=str(body.get("severity", "error")), category=str(body.get("category", "bug")),
            area=str(body.get("area", "process")), min_level=str(body.get("min_level") or ""),
            logger_prefix=body.get("logger_prefix") or "", formats=", ".join(formats),
            min_count=_text(threshold.get("min_count")),
            window_secs=_text(threshold.get("window_secs")),
            cooldown_secs=_text(body.get("cooldown_secs")), docs_url=body.get("docs_url") or "",
            auto_heal=body.get("auto_heal") or "",
        )  # fmt: skip

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> RuleForm:
        """The values a browser posted (missing text fields are empty; `enabled` is a checkbox)."""
        values = {
            f.name: str(form.get(f.name) or "").strip("\n") if f.name == "patterns"
            else str(form.get(f.name) or "").strip()
            for f in dataclasses.fields(cls) if f.name != "is_enabled"
        }  # fmt: skip
        return cls(**values, is_enabled=form.get("enabled") is not None)

    def pattern_lines(self) -> list[str]:
        """The patterns: one per non-blank line, CR removed (inner spaces are kept)."""
        return [line.rstrip("\r") for line in self.patterns.split("\n") if line.strip()]

    def api_fields(self) -> dict[str, Any]:
        """The rule's fields as the API takes them (`RuleIn` without id/scope/enabled).

        Empty inputs are None or left out (a cause without a name is then a missing name);
        numbers stay text for the validation to parse.
        """
        text = {key: getattr(self, key) for key in _TEXT if getattr(self, key)}
        threshold = {key: getattr(self, key) for key in _THRESHOLD if getattr(self, key)}
        formats = [name.strip() for name in self.formats.split(",") if name.strip()]
        return {
            "patterns": self.pattern_lines(),
            "severity": self.severity or None,
            "category": self.category or None,
            "area": self.area or None,
            "min_level": self.min_level or None,
            "logger_prefix": self.logger_prefix or None,
            "applies_to": {"formats": formats} if formats else None,
            "threshold": threshold or None,
            "cooldown_secs": self.cooldown_secs or None,
            "docs_url": self.docs_url or None,
            "auto_heal": self.auto_heal or None,
            "text": text or None,
        }


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _problem(loc: tuple[Any, ...], message: str) -> Problem:
    """Map a validation `loc` (with or without the leading `body`) to a form field."""
    parts = [part for part in loc if part != "body"]
    head = str(parts[0]) if parts else GENERAL
    if head in ("threshold", "text"):
        head = str(parts[1]) if len(parts) > 1 else ("name" if head == "text" else "min_count")
    elif head == "applies_to":
        head = "formats"
    is_line = head == "patterns" and len(parts) > 1 and isinstance(parts[1], int)
    line = parts[1] + 1 if is_line else None
    return Problem(head if head in FIELD_NAMES else GENERAL, line, message)


FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(RuleForm)) - {"is_enabled"} | {GENERAL}
"""Every form field a problem can be shown next to (plus `general`)."""


def check_rule(
    context: ApiContext, form: RuleForm, kept: Mapping[str, Any] | None = None
) -> tuple[SignatureSpec | None, list[Problem]]:
    """Validate the form as `POST /api/v1/rules` would: the spec, or the problems by field.

    `kept` are stored fields the form does not show (`KEPT_FIELDS`), validated with the rest.
    Blocking (compiles the patterns): call it in a worker thread.
    """
    values = {key: value for key, value in form.api_fields().items() if value is not None}
    values.update({key: value for key, value in (kept or {}).items() if key in KEPT_FIELDS})
    try:
        RuleIn.model_validate(
            {**values, "id": form.id, "scope": form.scope, "enabled": form.is_enabled}
        )
    except ValidationError as error:
        return None, [_problem(tuple(e["loc"]), e["msg"]) for e in error.errors()]
    try:
        return validate_rule(context, form.id, values, form.is_enabled), []
    except RequestValidationError as error:
        return None, [_problem(tuple(e["loc"]), str(e["msg"])) for e in error.errors()]


def problems_by_field(problems: list[Problem]) -> dict[str, list[Problem]]:
    """The problems grouped by field, every field present (an empty list when it is fine)."""
    grouped: dict[str, list[Problem]] = {name: [] for name in FIELD_NAMES}
    for problem in problems:
        grouped[problem.field].append(problem)
    return grouped
