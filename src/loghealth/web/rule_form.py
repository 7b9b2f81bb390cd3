"""Dashboard: the rule editor's form — a rule's fields as form text and back, problems by field.

The form edits the fields of a user rule (`api.schemas.RuleIn`, the signature schema of
`catalog/README.md`). What is valid is decided by the API's own checks: the request model, then
`api.routes.rules.validate_rule` (schema, pattern compile and lint, remediation action). Their
problems are sorted to the form field they belong to, so the page shows each next to its field.
On saving, `check_examples` also runs the rule's `examples` through the rule tester's matcher.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from loghealth.api.deps import ApiContext
from loghealth.api.routes.rules import example_failures, validate_rule
from loghealth.api.schemas import RuleIn
from loghealth.rules.schema import SignatureSpec
from loghealth.store.rules import GLOBAL_SCOPE

__all__ = [
    "FIELD_NAMES",
    "GENERAL",
    "Problem",
    "RuleForm",
    "check_examples",
    "check_rule",
    "problems_by_field",
]

GENERAL = "general"
"""Where problems go that belong to no field of the form."""
_LINES = ("patterns", "examples_match", "examples_no_match")
"""Fields of one entry per line (kept as typed; blank rows are ignored)."""
_TEXT = ("name", "cause", "fix")
_THRESHOLD = ("min_count", "window_secs")


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: the form field, the 1-based line (line fields only) and the message.

    `message` is the validator's text (English, as the API reports it); `key`, when set, is the
    locale key of a message of the dashboard's own, shown instead (with `message` as `{text}`
    and `detail` as `{detail}`). `line` counts the field's non-blank rows, as the API counts
    list items.
    """

    field: str
    line: int | None
    message: str
    key: str = ""
    detail: str = ""


@dataclass(slots=True)
class RuleForm:
    """The editor's values as text (what the browser sends back).

    `patterns`, `examples_match` and `examples_no_match` hold one entry per line.
    """

    id: str = ""
    scope: str = GLOBAL_SCOPE
    is_enabled: bool = True
    name: str = ""
    cause: str = ""
    fix: str = ""
    patterns: str = ""
    examples_match: str = ""
    examples_no_match: str = ""
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
    docs_anchor: str = ""
    auto_heal: str = ""

    @classmethod
    def from_body(
        cls, rule_id: str, body: Mapping[str, Any], scope: str, is_enabled: bool
    ) -> RuleForm:
        """The form of a stored body (`rule_body` shape: defaults left out, names as text)."""
        text = body.get("text") or {}
        threshold = body.get("threshold") or {}
        formats = (body.get("applies_to") or {}).get("formats") or ()
        examples = body.get("examples") or {}
        return cls(
            id=rule_id, scope=scope, is_enabled=is_enabled,
            name=text.get("name", ""), cause=text.get("cause", ""), fix=text.get("fix", ""),
            patterns="\n".join(body.get("patterns") or ()),
            examples_match="\n".join(examples.get("match") or ()),
            examples_no_match="\n".join(examples.get("no_match") or ()),
            severity=str(body.get("severity", "error")), category=str(body.get("category", "bug")),
            area=str(body.get("area", "process")), min_level=str(body.get("min_level") or ""),
            logger_prefix=body.get("logger_prefix") or "", formats=", ".join(formats),
            min_count=_text(threshold.get("min_count")),
            window_secs=_text(threshold.get("window_secs")),
            cooldown_secs=_text(body.get("cooldown_secs")), docs_url=body.get("docs_url") or "",
            docs_anchor=body.get("docs_anchor") or "", auto_heal=body.get("auto_heal") or "",
        )  # fmt: skip

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> RuleForm:
        """The values a browser posted (missing text fields are empty; `enabled` is a checkbox)."""
        values = {
            f.name: str(form.get(f.name) or "").strip("\n") if f.name in _LINES
            else str(form.get(f.name) or "").strip()
            for f in dataclasses.fields(cls) if f.name != "is_enabled"
        }  # fmt: skip
        return cls(**values, is_enabled=form.get("enabled") is not None)

    def pattern_lines(self) -> list[str]:
        """The patterns: one per non-blank line, CR removed (inner spaces are kept)."""
        return _lines(self.patterns)

    def examples(self) -> dict[str, list[str]] | None:
        """`{"match": [...], "no_match": [...]}` (one raw log line per non-blank row).

        None when both are empty; one empty side is kept for the validation to refuse.
        """
        match, no_match = _lines(self.examples_match), _lines(self.examples_no_match)
        return {"match": match, "no_match": no_match} if match or no_match else None

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
            "docs_anchor": self.docs_anchor or None,
            "examples": self.examples(),
            "auto_heal": self.auto_heal or None,
            "text": text or None,
        }


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _lines(text: str) -> list[str]:
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


def _problem(loc: tuple[Any, ...], message: str) -> Problem:
    """Map a validation `loc` (with or without the leading `body`) to a form field."""
    parts = [part for part in loc if part != "body"]
    head = str(parts[0]) if parts else GENERAL
    if head in ("threshold", "text"):
        head = str(parts[1]) if len(parts) > 1 else ("name" if head == "text" else "min_count")
    elif head == "applies_to":
        head = "formats"
    elif head == "examples":  # ("examples", "match" | "no_match", index?)
        parts = parts[1:] if len(parts) > 1 else ["match"]
        head = f"examples_{parts[0]}"
    is_line = head in _LINES and len(parts) > 1 and isinstance(parts[1], int)
    line = parts[1] + 1 if is_line else None
    return Problem(head if head in FIELD_NAMES else GENERAL, line, message)


FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(RuleForm)) - {"is_enabled"} | {GENERAL}
"""Every form field a problem can be shown next to (plus `general`)."""


def check_rule(context: ApiContext, form: RuleForm) -> tuple[SignatureSpec | None, list[Problem]]:
    """Validate the form as `POST /api/v1/rules` would: the spec, or the problems by field.

    Blocking (compiles the patterns): call it in a worker thread.
    """
    values = {key: value for key, value in form.api_fields().items() if value is not None}
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


def check_examples(context: ApiContext, spec: SignatureSpec, scope: str) -> list[Problem]:
    """The rule's failing `examples` (`api.routes.rules.example_failures`) as field problems.

    One problem per failing line (`examples_match` / `examples_no_match`; `detail` names the
    entry that took a `match` line instead), else []. Blocking: call it in a worker thread.

    Raises:
        HTTPException: 503 when the catalog cannot be loaded.
    """
    return [
        Problem(f"examples_{fail.kind}", fail.index, fail.line,
                f"rules.edit_example_{fail.outcome}", fail.taken_by)
        for fail in example_failures(context, spec, scope)
    ]  # fmt: skip
