"""API: request and response bodies (pydantic). JSON is snake_case; times are ISO 8601 UTC.

Field names follow the project words: `*_at` times (aware UTC, `Z`), `*_secs` durations,
`is_*`/`has_*` booleans. Unknown request fields are rejected (422).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from loghealth.model import Area, Category
from loghealth.rules.schema import ID_PATTERN, AppliesTo, Examples, SignatureText, Threshold

__all__ = [
    "ClientIn",
    "ClientKeyOut",
    "ClientLevelCounts",
    "ClientOut",
    "ClientSummaryItem",
    "ClientSummaryOut",
    "EffectiveRuleOut",
    "EffectiveRulesOut",
    "FindingDetailOut",
    "FindingOut",
    "FindingPageOut",
    "HealthOut",
    "HealthzOut",
    "HeartbeatIn",
    "HistoryOut",
    "HitOut",
    "IngestOut",
    "IngestStatusOut",
    "LogBatchIn",
    "LogEntryIn",
    "LogEntryOut",
    "OverviewClientOut",
    "OverviewOut",
    "OverviewTotalsOut",
    "Problem",
    "RuleIn",
    "RuleOut",
    "RulePatchIn",
    "RuleStatsOut",
    "RuleTestIn",
    "RuleTestOut",
    "RuleTestRecordOut",
    "ScanFindingOut",
    "ScanOut",
    "ScanSourceOut",
    "ScanSummaryOut",
    "ScoreOut",
    "SignatureOut",
    "SnoozeIn",
    "SourceAddIn",
    "SourceAddedOut",
    "SourceOut",
    "StatisticsOut",
    "TokenCreatedOut",
    "TokenIn",
    "TokenOut",
    "VerdictOut",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """An error (RFC 9457 problem details); `errors` lists validation failures (422)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class HealthzOut(BaseModel):
    """Liveness: `ok` while the process serves requests."""

    status: Literal["ok"] = "ok"
    is_pipeline_running: bool


class ScoreOut(BaseModel):
    """A 0-100 health score and its band (healthy ≥ 90, warning ≥ 70, degraded ≥ 50)."""

    score: int = Field(ge=0, le=100)
    status: Literal["healthy", "warning", "degraded", "critical"]


# ---- findings ---------------------------------------------------------------------------------
class FindingOut(BaseModel):
    """A stored finding with its catalog text (in the requested language)."""

    id: int
    fingerprint: str
    signature_id: str
    pack: str
    title: str
    severity: Literal["info", "warning", "error", "critical"]
    category: str
    area: str
    state: Literal["open", "resolved", "regressed", "ignored", "snoozed"]
    source_id: str
    count: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    last_hit_at: datetime
    state_changed_at: datetime
    snoozed_until: datetime | None
    sample: str
    sample_line: int
    cause: str
    fix: str
    docs_url: str | None
    catalog_version: str


class HitOut(BaseModel):
    """A recent hit: record time (None if the line had none), receive time, line, sample."""

    seen_at: datetime | None
    received_at: datetime
    line: int
    sample: str


class HistoryOut(BaseModel):
    """A state transition: when, who (`engine`, `auto`, `token:<name>`…), from, to, note."""

    at: datetime
    actor: str
    from_state: str | None
    to_state: str
    note: str | None


class FindingDetailOut(FindingOut):
    """One finding with its recent hits (newest first) and its state history (oldest first)."""

    hits: list[HitOut]
    history: list[HistoryOut]


class FindingPageOut(BaseModel):
    """One page of findings (newest hit first) and the total matching the filters."""

    items: list[FindingOut]
    total: int
    limit: int
    offset: int


class SnoozeIn(_In):
    """Snooze a finding until `until` (aware, or naive meaning UTC; must be in the future)."""

    until: datetime


class HealthOut(ScoreOut):
    """Overall health from active findings hit within `window_secs`, and how many those are."""

    recent_count: int
    window_secs: int


class StatisticsOut(BaseModel):
    """Totals and distributions over stored findings; `*_last_5_min` count the last 300 s."""

    total_findings: int
    active_findings: int
    findings_last_5_min: int
    hits_last_5_min: int
    by_state: dict[str, int]
    by_severity: dict[str, int]
    by_category: dict[str, int]
    by_area: dict[str, int]
    monitored_sources: int
    is_monitoring: bool
    health: ScoreOut


# ---- sources ----------------------------------------------------------------------------------
class SourceOut(BaseModel):
    """A source with its counters (as last committed), drops by reason and health."""

    id: str
    kind: str
    format: str | None
    state: str
    is_running: bool
    records_read: int
    lines_read: int
    unparsed_lines: int
    bytes_read: int
    hits: int
    drops: dict[str, int]
    last_record_at: datetime | None
    lag_secs: float | None
    error: str | None
    updated_at: datetime | None
    active_findings: int
    health: ScoreOut


class SourceAddIn(_In):
    """A file, directory or glob to follow (absolute path)."""

    path: str = Field(min_length=1, max_length=4096)


class SourceAddedOut(BaseModel):
    """Ids of the sources started for an added path (may be empty for a glob without files)."""

    source_ids: list[str]


# ---- clients ----------------------------------------------------------------------------------
class ClientIn(_In):
    """Register or update a client's description (a PUT replaces these fields)."""

    hostname: str | None = Field(None, max_length=256)
    description: str | None = Field(None, max_length=512)
    ip: str | None = Field(None, max_length=64)
    model: str | None = Field(None, max_length=128)
    group: str | None = Field(None, max_length=128)
    is_active: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)


ClientStatus = Literal["healthy", "warning", "critical", "offline"]


class ClientOut(BaseModel):
    """A client: description, last heartbeat (`last_seen_at`), process and app status."""

    id: str
    hostname: str | None
    description: str | None
    ip: str | None
    model: str | None
    group: str | None
    is_active: bool
    is_alive: bool
    status: ClientStatus
    process_status: str | None
    app_status: str | None
    process_name: str | None
    pid: int | None
    metadata: dict[str, Any]
    last_seen_at: datetime | None
    created_at: datetime | None
    has_ingest_key: bool


class ClientKeyOut(BaseModel):
    """A client's new ingest key: shown once, only its hash is stored."""

    client_id: str
    ingest_key: str


class HeartbeatIn(_In):
    """A client's heartbeat: process status, app/screen health (`OK`, `BLACK`, `FROZEN`…)."""

    process_status: Literal["running", "starting", "stopped", "crashed"] | None = None
    app_status: str | None = Field(None, max_length=32)
    process_name: str | None = Field(None, max_length=256)
    pid: int | None = Field(None, ge=0, le=2**31)
    hostname: str | None = Field(None, max_length=256)
    metadata: dict[str, Any] | None = None


class LogEntryIn(_In):
    """One pushed entry. `level`: ERROR, WARN (or WARNING), INFO, DEBUG, any case.

    `timestamp` defaults to the receive time; naive means UTC. `context` is a JSON object, or a
    string holding one (a string that is not JSON is kept as `{"raw": "<text>"}`).
    """

    timestamp: datetime | None = None
    level: str = Field("INFO", max_length=16)
    message: str = Field(max_length=65_536)
    logger: str | None = Field(None, max_length=256)
    context: dict[str, Any] | str | None = None


class LogBatchIn(_In):
    """A batch of entries (at most `api.max_batch_entries`, default 1000)."""

    entries: list[LogEntryIn]


class IngestOut(BaseModel):
    """How many entries were stored and matched."""

    client_id: str
    accepted: int


class LogEntryOut(BaseModel):
    """A stored client entry."""

    id: int
    client_id: str
    timestamp: datetime
    level: Literal["ERROR", "WARN", "INFO", "DEBUG"]
    message: str
    logger: str | None
    context: dict[str, Any]
    hostname: str | None = None
    description: str | None = None


class ClientLevelCounts(BaseModel):
    """Entry counts per level."""

    error: int = 0
    warn: int = 0
    info: int = 0
    debug: int = 0


class ClientSummaryItem(BaseModel):
    """One client's counts over the summary window."""

    client_id: str
    hostname: str | None
    description: str | None
    counts: ClientLevelCounts


class ClientSummaryOut(BaseModel):
    """Counts per client and level over the last `hours` (since `since_at`)."""

    hours: int
    since_at: datetime
    clients: list[ClientSummaryItem]


class OverviewClientOut(BaseModel):
    """A client in the overview: status, window counts, latest entry and latest error."""

    client: ClientOut
    counts: ClientLevelCounts
    latest_entry: LogEntryOut | None
    latest_error: LogEntryOut | None
    active_findings: int


class OverviewTotalsOut(BaseModel):
    """Fleet totals (entries counted over the status window)."""

    clients: int
    online: int
    offline: int
    healthy: int
    warning: int
    critical: int
    error_entries: int
    warning_entries: int


class OverviewOut(BaseModel):
    """Every client (by group, description, hostname) and the fleet totals."""

    clients: list[OverviewClientOut]
    totals: OverviewTotalsOut
    heartbeat_grace_secs: int
    window_secs: int


class IngestStatusOut(BaseModel):
    """Whether pushed logs arrive (counts only: never log contents)."""

    clients: int
    online: int
    entries_last_5_min: int
    is_ingest_working: bool


# ---- tokens and catalog -----------------------------------------------------------------------
class TokenIn(_In):
    """A token to create."""

    name: str = Field(min_length=1, max_length=128)
    role: Literal["viewer", "admin", "superadmin"]


class TokenOut(BaseModel):
    """A token (never its secret; `prefix` is its first characters, to recognise it)."""

    id: int
    name: str
    role: Literal["viewer", "admin", "superadmin"]
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    """A new token with its secret (shown once)."""

    token: str


class SignatureOut(BaseModel):
    """A signature or rule of the live catalog, with its text in the requested language."""

    id: str
    pack: str
    severity: Literal["info", "warning", "error", "critical"]
    category: str
    area: str
    name: str
    cause: str
    fix: str
    docs_url: str | None
    patterns: list[str]
    min_level: str | None


# ---- rules ------------------------------------------------------------------------------------
SeverityName = Literal["info", "warning", "error", "critical"]
LevelName = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
SCOPE_PATTERN = r"^[^\x00-\x1f\x7f]+$"
"""A scope: `global` or a source id (`file:/var/log/app.log`, `client:kiosk-7`…)."""


class RulePatchIn(_In):
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


class RuleTestIn(_In):
    """Sample lines to test against the effective set of `source` (global when None).

    The lines' format is detected as a whole (or forced with `format`); `rule` is an unsaved
    rule tested as if it were stored.
    """

    lines: list[str] = Field(min_length=1, max_length=1000)
    format: str | None = Field(None, max_length=64)
    source: str | None = Field(None, min_length=1, max_length=512, pattern=SCOPE_PATTERN)
    rule: RuleIn | None = None


class VerdictOut(BaseModel):
    """A signature whose pattern is found in the record and the gate that decided it."""

    signature_id: str
    gate: Literal["passed", "pattern not found", "format gate", "level gate", "logger gate",
                  "below min_count"]  # fmt: skip
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


# ---- scan -------------------------------------------------------------------------------------
class ScanSourceOut(BaseModel):
    """One scanned input: detected format, records, unparsed lines, health."""

    path: str
    format: str
    records: int
    unparsed_lines: int
    health: ScoreOut | None


class ScanFindingOut(BaseModel):
    """A finding of a scan with its text (`first_seen`/`last_seen`: record times, UTC)."""

    signature_id: str
    pack: str
    title: str
    severity: SeverityName
    category: str
    area: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    sample: str
    sample_line: int
    source: str
    cause: str
    fix: str
    docs_url: str | None


class ScanSummaryOut(BaseModel):
    """Finding counts: total, by category, by severity."""

    total: int
    by_category: dict[str, int]
    by_severity: dict[str, int]


class ScanOut(BaseModel):
    """The JSON of `loghealth scan --output json` (README "Scan your own logs")."""

    scanned_records: int
    unparsed_lines: int
    sources: list[ScanSourceOut]
    findings: list[ScanFindingOut]
    summary: ScanSummaryOut
    health: ScoreOut
    below_min_count: dict[str, int]
    errors: list[str]
