"""API routes: user rules — CRUD, effective set per source, switches, test, stats; hot reload.

Rules are stored in the `rules` table (`store.rules`) with the schema of a signature. Reads need
viewer, changes admin. Under `serve` every change rebuilds the engine (packs + rule files +
global stored rules) and swaps it into the running pipeline before the response is sent.
Per-source rules are stored and shown in the effective set of their source, but the running
engine applies global rules only (one engine for every source).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from loghealth.api.deps import ApiContext, ContextDep, Principal, Responses, require
from loghealth.api.schemas import (
    EffectiveRuleOut,
    EffectiveRulesOut,
    RuleIn,
    RuleOut,
    RulePatchIn,
    RuleStatsOut,
    RuleTestIn,
    RuleTestOut,
    RuleTestRecordOut,
    VerdictOut,
)
from loghealth.engine import Engine
from loghealth.engine.backends import EngineKind
from loghealth.model import LogRecord
from loghealth.parsing import ParseContext, parse_lines, resolve_timezone
from loghealth.rules.compile import compile_signatures
from loghealth.rules.loader import Catalog, CatalogError, Signature, load_catalog
from loghealth.rules.schema import ID_PATTERN, SignatureSpec, Tier
from loghealth.runtime.serve import apply_stored_rules, build_engine, build_source_engines
from loghealth.store.rules import GLOBAL_SCOPE, RuleExistsError, RuleStore, StoredRule
from loghealth.store.tokens import Role

__all__ = [
    "ExampleFailure",
    "base_catalog",
    "example_failures",
    "reload_rules",
    "router",
    "rule_body",
    "run_rule_test",
    "switch_rule",
    "validate_rule",
]

router = APIRouter(tags=["rules"])
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
RuleId = Annotated[str, Path(pattern=ID_PATTERN, max_length=80, description="rule id")]
_UNKNOWN: Responses = {404: {"description": "no such stored rule"}}
_INVALID: Responses = {422: {"description": "invalid rule (path in `errors`) or bad pattern"}}
_MESSAGE_MAX_CHARS = 2000
_log = logging.getLogger(__name__)


def _rules(context: ApiContext) -> RuleStore:
    return RuleStore(context.store.engine)


def _base_catalog(context: ApiContext) -> Catalog:
    """Packs and rule files of the settings (what stored rules apply on top of)."""
    try:
        return load_catalog(context.settings.packs, context.settings.rules)
    except CatalogError as error:
        raise HTTPException(503, f"the catalog cannot be loaded: {error}") from None


def _spec_json(spec: SignatureSpec) -> dict[str, Any]:
    """A rule's fields as stored and shown: no `id`/`enabled`, defaults left out, names as text."""
    body = spec.model_dump(mode="json", exclude_defaults=True, exclude={"id", "enabled"})
    body["severity"] = spec.severity.label
    if spec.min_level is not None:
        body["min_level"] = spec.min_level.name
    return body


def _validated(
    rule_id: str, fields: dict[str, Any], enabled: bool, at: tuple[str, ...] = ("body",)
) -> SignatureSpec:
    """Validate a whole rule (`null` fields left out) and compile and lint each pattern.

    Raises:
        RequestValidationError: a 422 problem whose `errors` name the path (under `at`).
    """
    fields = {key: value for key, value in fields.items() if value is not None}
    try:
        spec = SignatureSpec.model_validate({**fields, "id": rule_id, "enabled": enabled})
    except ValidationError as error:
        raise RequestValidationError(
            [{"loc": (*at, *problem["loc"]), "msg": problem["msg"], "type": problem["type"]}
             for problem in error.errors()]
        ) from None  # fmt: skip
    problems = []
    for index, pattern in enumerate(spec.patterns):
        single = spec.model_copy(update={"patterns": (pattern,)})
        signature = Signature(single, "rules", Tier.RULE, 0, spec.min_level, None)
        for message in compile_signatures([signature])[1]:
            problems.append(
                {"loc": (*at, "patterns", index), "msg": message, "type": "pattern_error"}
            )
    if problems:
        raise RequestValidationError(problems)
    return spec


def _check_action(context: ApiContext, spec: SignatureSpec) -> SignatureSpec:
    """Refuse an `auto_heal` that names no action of `remediation.actions` (actions are config).

    Raises:
        RequestValidationError: a 422 problem at `body.auto_heal`.
    """
    actions = context.settings.remediation.actions
    if spec.auto_heal is not None and spec.auto_heal not in actions:
        known = ", ".join(sorted(actions)) or "none are configured"
        raise RequestValidationError(
            [{"loc": ("body", "auto_heal"), "type": "unknown_action",
              "msg": f"no remediation action {spec.auto_heal!r} ({known})"}]
        )  # fmt: skip
    return spec


def _rule_out(rule: StoredRule, base: Catalog) -> RuleOut:
    shipped = base.get(rule.id)
    return RuleOut(
        id=rule.id, scope=rule.scope, enabled=rule.enabled, spec=rule.body or None,
        overrides=shipped.pack if shipped is not None else None,
        created_at=rule.created_at, updated_at=rule.updated_at,
    )  # fmt: skip


async def _reload(context: ApiContext, request: Request) -> None:
    """Under `serve`: rebuild the engine with the stored rules and swap it (one at a time)."""
    pipeline = context.pipeline
    if pipeline is None:
        return
    lock: asyncio.Lock = request.app.state.rules_lock
    async with lock:
        rules = await asyncio.to_thread(_rules(context).list)
        try:
            engine = await asyncio.to_thread(build_engine, context.settings, rules)
            scoped = await asyncio.to_thread(build_source_engines, context.settings, rules)
        except CatalogError:
            _log.exception("rules changed, but the engine could not be rebuilt")
            raise HTTPException(503, "stored, but the engine could not be rebuilt") from None
        pipeline.engine = engine  # one assignment: records after this one use the new rules
        pipeline.source_engines = scoped


async def _out(context: ApiContext, rule: StoredRule) -> RuleOut:
    return _rule_out(rule, await asyncio.to_thread(_base_catalog, context))


# ---- CRUD -------------------------------------------------------------------------------------
@router.get("/rules", response_model=list[RuleOut], summary="List stored rules")
async def list_rules(
    context: ContextDep,
    _: Viewer,
    scope: Annotated[str | None, Query(max_length=512, description="only this scope")] = None,
) -> list[RuleOut]:
    """Stored rules by id (of one scope when `scope` is given)."""
    rules = await asyncio.to_thread(_rules(context).list, scope)
    base = await asyncio.to_thread(_base_catalog, context)
    return [_rule_out(rule, base) for rule in rules]


@router.post(
    "/rules",
    response_model=RuleOut,
    status_code=201,
    responses={**_INVALID, 409: {"description": "a rule with this id is already stored"}},
    summary="Create a rule",
)
async def create_rule(context: ContextDep, _: Admin, body: RuleIn, request: Request) -> RuleOut:
    """Store a rule (validated and compiled first) and reload the engine."""
    fields = body.model_dump(exclude_unset=True, exclude={"id", "scope", "enabled"})
    spec = _check_action(context, _validated(body.id, fields, body.enabled))
    await _check_examples(context, spec, body.scope)
    now = context.clock.now()
    rule = StoredRule(body.id, _spec_json(spec), body.scope, body.enabled, now, now)
    try:
        stored = await asyncio.to_thread(_rules(context).create, rule)
    except RuleExistsError:
        raise HTTPException(409, f"rule {body.id!r} exists; change it with PATCH") from None
    await _reload(context, request)
    return await _out(context, stored)


@router.get(
    "/rules/effective",
    response_model=EffectiveRulesOut,
    summary="The effective rule set of a source",
)
async def effective_rules(
    context: ContextDep,
    _: Viewer,
    source: Annotated[
        str | None, Query(max_length=512, description="a source id; all sources when absent")
    ] = None,
) -> EffectiveRulesOut:
    """Shipped signatures + rule files + global stored rules + this source's stored rules.

    Rules replace signatures by id; disabled ones are left out (listed in `disabled`).
    """
    return await asyncio.to_thread(_effective, context, source)


def _effective(context: ApiContext, source: str | None) -> EffectiveRulesOut:
    base = _base_catalog(context)
    rows = _rules(context).list()
    scopes = {GLOBAL_SCOPE} if source is None else {GLOBAL_SCOPE, source}
    catalog = apply_stored_rules(base, rows, scopes)
    stored = {rule.id: rule.scope for rule in rows if rule.scope in scopes and rule.body}
    _, compile_errors = compile_signatures(catalog.signatures)
    entries = []
    for signature in catalog.signatures:
        spec = signature.spec
        origin = "stored_rule" if signature.id in stored else (
            "rule_file" if signature.tier is Tier.RULE else "signature"
        )  # fmt: skip
        entries.append(
            EffectiveRuleOut(
                id=signature.id, pack=signature.pack, origin=origin,
                scope=stored.get(signature.id), severity=spec.severity.label,
                category=str(spec.category), area=str(spec.area), patterns=list(spec.patterns),
                min_level=signature.min_level.name if signature.min_level else None,
                logger_prefix=spec.logger_prefix, formats=list(spec.applies_to.formats),
            )
        )  # fmt: skip
    kept = {signature.id for signature in catalog.signatures}
    return EffectiveRulesOut(
        source_id=source, signatures=entries,
        disabled=sorted(s.id for s in base.signatures if s.id not in kept),
        errors=catalog.errors + compile_errors, is_live=True,
    )  # fmt: skip


@router.get("/rules/stats", response_model=RuleStatsOut, summary="Rule statistics")
async def rule_stats(context: ContextDep, _: Viewer) -> RuleStatsOut:
    """Hits per signature, drops by reason, rule errors and the sources being read now."""
    hits = await asyncio.to_thread(_rules(context).hits_by_signature)
    sources = await asyncio.to_thread(context.store.sources)
    rules = await asyncio.to_thread(_rules(context).list)
    drops: dict[str, int] = {}
    for row in sources:
        for reason, count in (row.drops or {}).items():
            drops[str(reason)] = drops.get(str(reason), 0) + int(count)
    pipeline = context.pipeline
    if pipeline is not None:
        engine = pipeline.engine
    else:
        engine = await asyncio.to_thread(build_engine, context.settings, rules, EngineKind.PORTABLE)
    return RuleStatsOut(
        hits_by_signature=dict(sorted(hits.items())), drops_by_reason=dict(sorted(drops.items())),
        compile_errors=list(engine.catalog.errors) + list(engine.errors),
        active_tails=sorted(pipeline.sources) if pipeline is not None else [],
        stored_rules=len(rules), disabled_rules=sum(not rule.enabled for rule in rules),
        is_live=pipeline is not None,
    )  # fmt: skip


@router.post(
    "/rules/test",
    response_model=RuleTestOut,
    responses={**_INVALID, 400: {"description": "unknown format"}},
    summary="Test lines against the rules",
)
async def test_rules(context: ContextDep, _: Viewer, body: RuleTestIn) -> RuleTestOut:
    """Parse sample lines; per record: the signature that hits, its captures, and the gates.

    Verdicts name every signature whose pattern is found and the gate that passed or failed
    (level, logger, format). With `rule`, that unsaved rule is tested as if stored (in scope
    `source`).
    """
    draft = None
    if body.rule is not None:
        fields = body.rule.model_dump(exclude_unset=True, exclude={"id", "scope", "enabled"})
        draft = _validated(body.rule.id, fields, body.rule.enabled, ("body", "rule"))
    return await asyncio.to_thread(_test, context, body, draft)


def _captures(engine: Engine, signature_id: str, message: str) -> dict[str, str | None]:
    compiled = next((c for c in engine.matcher.signatures if c.signature.id == signature_id), None)
    for pattern in compiled.patterns if compiled is not None else ():
        try:
            found = pattern.search(message)
        except TimeoutError:  # a user rule's pattern out of its time budget: no captures
            continue
        if found is not None:
            named = found.groupdict()
            return named or {str(i): g for i, g in enumerate(found.groups(), start=1)}
    return {}


def _record_out(engine: Engine, record: LogRecord) -> RuleTestRecordOut:
    hit = engine.matcher.match(record)
    return RuleTestRecordOut(
        line=record.line, timestamp=record.timestamp,
        level=record.level.name if record.level is not None else None, logger=record.logger,
        format=record.format, message=record.message[:_MESSAGE_MAX_CHARS],
        matched=hit.signature_id if hit is not None else None,
        captures=_captures(engine, hit.signature_id, record.message) if hit else {},
        verdicts=[
            VerdictOut(signature_id=v.signature_id, gate=v.gate.value, detail=v.detail)
            for v in engine.matcher.explain(record)
        ],
    )  # fmt: skip


def _test(context: ApiContext, body: RuleTestIn, draft: SignatureSpec | None) -> RuleTestOut:
    rows = [rule for rule in _rules(context).list() if draft is None or rule.id != draft.id]
    scope = body.source or GLOBAL_SCOPE
    if draft is not None:
        now = context.clock.now()
        rows.append(StoredRule(draft.id, _spec_json(draft), scope, draft.enabled, now, now))
    scopes = {GLOBAL_SCOPE, scope}
    catalog = apply_stored_rules(_base_catalog(context), rows, scopes)
    engine = Engine(catalog, engine=EngineKind.PORTABLE)  # compiles fast; hits are the same
    ctx = ParseContext(
        tz=resolve_timezone(context.settings.timezone), now=context.clock.now(),
        source=body.source or "test",
    )  # fmt: skip
    try:
        records = parse_lines(body.lines, ctx, body.format)
    except ValueError as error:
        raise HTTPException(400, f"format: {error}") from None
    detected = records[0].format if records and body.format is None else (body.format or "")
    return RuleTestOut(
        format=detected,
        records=[_record_out(engine, record) for record in records],
        errors=list(catalog.errors) + list(engine.errors),
    )


# ---- one rule ---------------------------------------------------------------------------------
async def _get(context: ApiContext, rule_id: str) -> StoredRule:
    rule = await asyncio.to_thread(_rules(context).get, rule_id)
    if rule is None:
        raise HTTPException(404, f"no stored rule {rule_id!r}")
    return rule


@router.get("/rules/{rule_id}", response_model=RuleOut, responses=_UNKNOWN, summary="One rule")
async def get_rule(context: ContextDep, _: Viewer, rule_id: RuleId) -> RuleOut:
    """One stored rule."""
    return await _out(context, await _get(context, rule_id))


@router.patch(
    "/rules/{rule_id}",
    response_model=RuleOut,
    responses={**_UNKNOWN, **_INVALID},
    summary="Change a rule",
)
async def patch_rule(
    context: ContextDep, _: Admin, rule_id: RuleId, body: RulePatchIn, request: Request
) -> RuleOut:
    """Change some fields of a stored rule (merged, then validated whole) and reload."""
    rule = await _get(context, rule_id)
    sent = body.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "scope" in sent:
        if sent.pop("scope") is None:
            raise HTTPException(422, "scope: use `global` or a source id")
        changes["scope"] = body.scope
    enabled = sent.pop("enabled", None)
    enabled = rule.enabled if enabled is None else bool(enabled)
    changes["enabled"] = enabled
    if sent:  # rule fields: merge into the stored ones and validate the result
        merged = {**rule.body, **sent}
        spec = _check_action(context, _validated(rule_id, merged, enabled))
        await _check_examples(context, spec, changes.get("scope", rule.scope))
        changes["body"] = _spec_json(spec)
    updated = await asyncio.to_thread(_rules(context).update, rule_id, changes, context.clock.now())
    await _reload(context, request)
    return await _out(context, updated)


@router.delete("/rules/{rule_id}", status_code=204, responses=_UNKNOWN, summary="Delete a rule")
async def delete_rule(context: ContextDep, _: Admin, rule_id: RuleId, request: Request) -> None:
    """Delete a stored rule (a signature it replaced or disabled comes back) and reload."""
    if not await asyncio.to_thread(_rules(context).delete, rule_id):
        raise HTTPException(404, f"no stored rule {rule_id!r}")
    await _reload(context, request)


async def _switch(
    context: ApiContext, request: Request, rule_id: str, enabled: bool, scope: str | None
) -> RuleOut:
    rule = await asyncio.to_thread(_rules(context).get, rule_id)
    now = context.clock.now()
    if rule is not None:
        if scope is not None and scope != rule.scope:
            raise HTTPException(409, f"rule {rule_id!r} is stored in scope {rule.scope!r}")
        stored = await asyncio.to_thread(_rules(context).update, rule_id, {"enabled": enabled}, now)
    else:
        base = await asyncio.to_thread(_base_catalog, context)
        if base.get(rule_id) is None:
            raise HTTPException(404, f"no signature or stored rule {rule_id!r}")
        if enabled:
            raise HTTPException(409, f"signature {rule_id!r} is not disabled")
        switch = StoredRule(rule_id, {}, scope or GLOBAL_SCOPE, enabled, now, now)
        try:
            stored = await asyncio.to_thread(_rules(context).create, switch)
        except RuleExistsError:
            raise HTTPException(409, f"rule {rule_id!r} was stored meanwhile; retry") from None
    await _reload(context, request)
    return await _out(context, stored)


ScopeQuery = Annotated[
    str | None,
    Query(
        min_length=1, max_length=512, pattern=r"^[^\x00-\x1f\x7f]+$",
        description="scope of a new switch row: global (default) or a source id",
    ),
]  # fmt: skip
_SWITCH: Responses = {
    404: {"description": "no such signature or stored rule"},
    409: {"description": "the stored rule has another scope, or nothing to enable"},
}


@router.post(
    "/rules/{rule_id}/disable", response_model=RuleOut, responses=_SWITCH,
    summary="Disable a signature or rule",
)  # fmt: skip
async def disable_rule(
    context: ContextDep, _: Admin, rule_id: RuleId, request: Request, scope: ScopeQuery = None
) -> RuleOut:
    """Disable a stored rule, or a shipped signature (stores a row with `spec` null)."""
    return await _switch(context, request, rule_id, False, scope)


@router.post(
    "/rules/{rule_id}/enable", response_model=RuleOut, responses=_SWITCH,
    summary="Enable a signature or rule",
)  # fmt: skip
async def enable_rule(
    context: ContextDep, _: Admin, rule_id: RuleId, request: Request, scope: ScopeQuery = None
) -> RuleOut:
    """Enable a stored rule or a disabled signature (DELETE removes the switch row)."""
    return await _switch(context, request, rule_id, True, scope)


# ---- shared with the dashboard's Rules pages (loghealth.web.pages.rules) -----------------------
def base_catalog(context: ApiContext) -> Catalog:
    """Packs and rule files of the settings, without stored rules (blocking: reads YAML).

    Raises:
        HTTPException: 503 when the catalog cannot be loaded.
    """
    return _base_catalog(context)


def validate_rule(
    context: ApiContext, rule_id: str, fields: dict[str, Any], enabled: bool
) -> SignatureSpec:
    """A rule's fields validated as `POST /rules` does: schema, pattern compile and lint, action.

    Raises:
        RequestValidationError: the problems, each with its `loc` under `("body", field, …)`.
    """
    return _check_action(context, _validated(rule_id, fields, enabled))


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    """An example line the rule does not treat as its `examples` say.

    `kind`: `match` or `no_match`; `index`: the line's 1-based row in that list; `outcome`:
    `missed` (a `match` line nothing hits), `taken` (another entry, `taken_by`, hits it first)
    or `matched` (a `no_match` line the rule hits).
    """

    kind: str
    index: int
    line: str
    outcome: str
    taken_by: str = ""


def example_failures(context: ApiContext, spec: SignatureSpec, scope: str) -> list[ExampleFailure]:
    """Run a rule's `examples` through the rule tester as if the rule were stored in `scope`.

    Each line is parsed alone (format detected), as the catalog's tests do; the rule is tested
    enabled (examples describe its patterns). A `match` line must be hit by this rule (pattern
    found, every gate passed, no other entry first); a `no_match` line must not be.
    Blocking (builds an engine per line): call it in a worker thread.

    Raises:
        HTTPException: 503 when the catalog cannot be loaded.
    """
    if spec.examples is None:
        return []
    draft = spec.model_copy(update={"enabled": True})
    source = None if scope == GLOBAL_SCOPE else scope
    failures = []
    for kind, lines, wanted in (("match", spec.examples.match, True),
                                ("no_match", spec.examples.no_match, False)):  # fmt: skip
        for index, line in enumerate(lines, start=1):
            out = _test(context, RuleTestIn(lines=[line], source=source), draft)
            hits = [record.matched for record in out.records if record.matched]
            if (spec.id in hits) == wanted:
                continue
            other = next((hit for hit in hits if hit != spec.id), "") if wanted else ""
            outcome = "taken" if other else "missed" if wanted else "matched"
            failures.append(ExampleFailure(kind, index, line, outcome, other))
    return failures


_EXAMPLE_MESSAGES = {
    "missed": "this rule does not match example line {index}: {line!r}",
    "taken": "{taken_by!r} takes example line {index} before this rule: {line!r}",
    "matched": "this rule matches line {index}, which it must not: {line!r}",
}


async def _check_examples(context: ApiContext, spec: SignatureSpec, scope: str) -> None:
    """Refuse a rule whose `examples` it does not keep (`example_failures`).

    Raises:
        RequestValidationError: a 422 problem per failing line, at `body.examples.<kind>.<row>`.
    """
    failures = await asyncio.to_thread(example_failures, context, spec, scope)
    if failures:
        raise RequestValidationError(
            [{"loc": ("body", "examples", f.kind, f.index - 1), "type": "example_failed",
              "msg": _EXAMPLE_MESSAGES[f.outcome].format(
                  index=f.index, line=f.line, taken_by=f.taken_by)}
             for f in failures]
        )  # fmt: skip


def rule_body(spec: SignatureSpec) -> dict[str, Any]:
    """A validated rule's fields as stored (no `id`/`enabled`, defaults left out)."""
    return _spec_json(spec)


def run_rule_test(
    context: ApiContext, body: RuleTestIn, draft: SignatureSpec | None
) -> RuleTestOut:
    """`POST /rules/test` without HTTP (blocking: builds an engine); `draft` is tested as stored.

    Raises:
        HTTPException: 400 for an unknown `format`, 503 when the catalog cannot be loaded.
    """
    return _test(context, body, draft)


async def reload_rules(context: ApiContext, request: Request) -> None:
    """Under `serve`, rebuild the engine with the stored rules and swap it in.

    Raises:
        HTTPException: 503 when the engine cannot be rebuilt (the change is stored).
    """
    await _reload(context, request)


async def switch_rule(
    context: ApiContext, request: Request, rule_id: str, enabled: bool
) -> RuleOut:
    """Enable or disable a stored rule or shipped signature, as `POST /rules/{id}/…able` does.

    Raises:
        HTTPException: 404 for an unknown id, 409 when there is nothing to enable.
    """
    return await _switch(context, request, rule_id, enabled, None)
