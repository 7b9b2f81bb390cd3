"""Settings of `loghealth serve`: one YAML file + `LOGHEALTH_*` environment + command-line flags.

Precedence: flags > environment (`LOGHEALTH_DATABASE_URL`, nested with `__`, e.g.
`LOGHEALTH_FINDINGS__AUTO_RESOLVE_AFTER_SECS`) > YAML file > defaults. Unknown keys are rejected
with the path of the bad key. Built by the CLI and passed down; never read at import time.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

__all__ = [
    "ACTION_NAME_PATTERN",
    "ActionSettings",
    "ApiSettings",
    "ClientSettings",
    "CommandActionSettings",
    "ContainerRestartActionSettings",
    "DockerSourceSettings",
    "EgressSettings",
    "FileSourceSettings",
    "FindingSettings",
    "HttpActionSettings",
    "NotificationSettings",
    "RateLimitSettings",
    "RemediationSettings",
    "Settings",
    "SourceSettings",
    "SyslogSourceSettings",
    "load_settings",
]

_CONFIG_FILE: ContextVar[Path | None] = ContextVar("loghealth_config_file", default=None)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileSourceSettings(_Strict):
    """Files to follow: paths, directories (their log files) or globs (`/var/log/*.log`)."""

    type: Literal["file"] = "file"
    paths: list[str] = Field(description="files, directories or glob patterns to follow")
    start_at: Literal["beginning", "end"] = Field(
        "beginning", description="where to start in files seen for the first time"
    )
    rescan_secs: float = Field(2.0, gt=0, description="how often globs and directories are re-read")


class SyslogSourceSettings(_Strict):
    """A syslog listener (RFC 5424 and RFC 3164; TCP with newline or octet-counting framing)."""

    type: Literal["syslog"] = "syslog"
    protocol: Literal["udp", "tcp"] = "udp"
    host: str = Field("127.0.0.1", description="address to bind")
    port: int = Field(5514, ge=0, le=65535)


def _both_streams() -> list[Literal["stdout", "stderr"]]:
    return ["stdout", "stderr"]


class DockerSourceSettings(_Strict):
    """Containers of a Docker-compatible engine (discovered every `discover_secs`)."""

    type: Literal["docker"] = "docker"
    host: str | None = Field(
        None, description="engine socket, e.g. unix:///var/run/docker.sock (default: DOCKER_HOST)"
    )
    discover_secs: float = Field(5.0, gt=0)
    names: list[str] = Field(default_factory=list, description="container name globs (empty: all)")
    exclude_names: list[str] = Field(default_factory=list, description="container names to skip")
    labels: list[str] = Field(default_factory=list, description="required labels, key or key=value")
    streams: list[Literal["stdout", "stderr"]] = Field(
        default_factory=_both_streams, description="which container streams to read"
    )


SourceSettings = Annotated[
    FileSourceSettings | SyslogSourceSettings | DockerSourceSettings, Field(discriminator="type")
]


class FindingSettings(_Strict):
    """Finding life cycle and health."""

    auto_resolve_after_secs: int = Field(
        86_400, ge=0, description="resolve a finding after this long without a hit (0: never)"
    )
    health_window_secs: int = Field(
        300, gt=0, description="health counts findings hit this recently"
    )


class RateLimitSettings(_Strict):
    """Per-source token bucket on counted hits (drops are counted as `hit_rate_limit`)."""

    hits_per_sec: float = Field(50.0, ge=0)
    burst: int = Field(500, ge=0, description="0 disables the rate limit")


class ApiSettings(_Strict):
    """Limits of the REST API (served by `loghealth serve` on `listen`)."""

    max_body_bytes: int = Field(
        1_048_576, gt=0, description="largest request body accepted (413 above)"
    )
    max_batch_entries: int = Field(
        1000, gt=0, description="most entries in one client log push (413 above)"
    )
    requests_per_sec: float = Field(
        20.0, gt=0, description="sustained requests per token or client key (429 above)"
    )
    burst: int = Field(200, ge=1, description="requests a token or client key may send at once")


class ClientSettings(_Strict):
    """Fleet clients: heartbeat grace, status window and retention of pushed entries."""

    heartbeat_grace_secs: int = Field(
        170, gt=0, description="a client is offline after this long without a heartbeat"
    )
    status_window_secs: int = Field(
        86_400, gt=0, description="entries this recent decide a client's status and counts"
    )
    log_retention_secs: int = Field(
        7 * 86_400, gt=0, description="pushed entries older than this are deleted"
    )


ACTION_NAME_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
"""A remediation action's name: lower-case words joined by `-` or `_` (`restart-app`)."""


class CommandActionSettings(_Strict):
    """Run a program: an argv list (no shell), a fixed environment, a timeout, capped output.

    The program sees only `env`, the server variables named in `pass_env`, and
    `LOGHEALTH_FINDING_ID`, `LOGHEALTH_SIGNATURE_ID`, `LOGHEALTH_SOURCE_ID`,
    `LOGHEALTH_SEVERITY`, `LOGHEALTH_EVENT` and `LOGHEALTH_ACTION` describing the finding.
    """

    type: Literal["command"] = "command"
    argv: list[str] = Field(
        min_length=1, description="program (absolute path) and its arguments; never a shell line"
    )
    env: dict[str, SecretStr] = Field(
        default_factory=dict, description="the program's environment (values masked on read)"
    )
    pass_env: list[str] = Field(
        default_factory=list, description="names of server environment variables passed through"
    )
    cwd: Path | None = Field(None, description="working directory (default: the server's)")
    timeout_secs: float = Field(30.0, gt=0, le=3600, description="killed (with its group) after")
    max_output_bytes: int = Field(
        16_384, gt=0, le=1_048_576, description="stdout+stderr kept; the rest is read and dropped"
    )
    cooldown_secs: int = Field(300, ge=0, description="after a run, skip this action this long")

    @field_validator("argv")
    @classmethod
    def _absolute_program(cls, argv: list[str]) -> list[str]:
        if not Path(argv[0]).is_absolute():
            raise ValueError(f"argv[0] must be an absolute path, got {argv[0]!r}")
        return argv

    @field_validator("env", "pass_env")
    @classmethod
    def _variable_names(cls, value: Any) -> Any:
        for name in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"{name!r} is not an environment variable name")
        return value


class HttpActionSettings(_Strict):
    """Call an HTTP endpoint (through the egress guard: `egress.allow` for internal hosts).

    `body` is a `string.Template`: `$finding_id`, `$signature_id`, `$source_id`, `$severity`,
    `$event` and `$action` are replaced by JSON-string-escaped values. Redirects are not followed.
    """

    type: Literal["http"] = "http"
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(pattern=r"^https?://", max_length=2048, description="http:// or https:// URL")
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="request headers (values masked on read)"
    )
    body: str | None = Field(None, max_length=65_536, description="request body template")
    timeout_secs: float = Field(10.0, gt=0, le=300, description="whole request, seconds")
    max_output_bytes: int = Field(16_384, gt=0, le=1_048_576, description="response body kept")
    cooldown_secs: int = Field(300, ge=0, description="after a run, skip this action this long")


class ContainerRestartActionSettings(_Strict):
    """Restart a container through the Docker Engine API (`POST /containers/{id}/restart`)."""

    type: Literal["container_restart"] = "container_restart"
    host: str | None = Field(
        None, description="engine socket, e.g. unix:///var/run/docker.sock (default: DOCKER_HOST)"
    )
    container: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$",
        description="container name or id (default: the finding's source, docker:<name>)",
    )
    timeout_secs: int = Field(
        10, ge=0, le=3600, description="the engine waits this long for a stop, then kills"
    )
    cooldown_secs: int = Field(300, ge=0, description="after a run, skip this action this long")


ActionSettings = Annotated[
    CommandActionSettings | HttpActionSettings | ContainerRestartActionSettings,
    Field(discriminator="type"),
]


def _heal_events() -> list[Literal["opened", "regressed", "updated"]]:
    return ["opened", "regressed"]


class RemediationSettings(_Strict):
    """Remediation actions run when a finding of an `auto_heal` signature opens or regresses.

    Actions are defined here only (never through the API). `enabled` is the kill switch: off by
    default, so configured actions are audited as `skipped_disabled` until an admin turns it on.
    An admin can also pause automatic runs at runtime (`PUT /api/v1/actions/pause`, kept in the
    store across restarts; audited as `skipped_paused`). The audit (`remediation_runs`) keeps
    `audit_retention_days` days and at most `audit_max_runs` rows, pruned by `serve` at start
    and then at most hourly (when finding events arrive).
    """

    enabled: bool = Field(False, description="the global kill switch: actions run only when true")
    dry_run: bool = Field(False, description="record what would run, run nothing")
    events: list[Literal["opened", "regressed", "updated"]] = Field(
        default_factory=_heal_events, description="finding events that fire a signature's action"
    )
    auto_heal: dict[str, str] = Field(
        default_factory=dict,
        description="signature id -> action name (wins over the signature's own auto_heal)",
    )
    actions: dict[str, ActionSettings] = Field(
        default_factory=dict, description="the allow-listed actions, by name"
    )
    max_concurrent_runs: int = Field(4, ge=1, le=64, description="actions running at once")
    queue_size: int = Field(
        1000, ge=1, description="events waiting for a decision (oldest dropped)"
    )
    audit_retention_days: int = Field(
        90, ge=1, le=36_500, description="audited runs older than this are deleted (days)"
    )
    audit_max_runs: int = Field(
        100_000, ge=100, description="audited runs kept at most (the oldest beyond are deleted)"
    )

    @model_validator(mode="after")
    def _known_names(self) -> RemediationSettings:
        for name in self.actions:
            if not re.fullmatch(ACTION_NAME_PATTERN, name) or len(name) > 64:
                raise ValueError(f"action name {name!r}: use lower-case words joined by - or _")
        for signature_id, name in self.auto_heal.items():
            if name not in self.actions:
                known = ", ".join(sorted(self.actions)) or "none defined"
                raise ValueError(
                    f"auto_heal.{signature_id}: no action {name!r} in remediation.actions ({known})"
                )
        return self


class EgressSettings(_Strict):
    """The SSRF guard of every outbound request (notifiers, HTTP remediation actions).

    Public addresses are always allowed; loopback, private, link-local (cloud metadata),
    unique-local and similar ranges only when listed here. Tests list `127.0.0.1` to reach a
    local receiver.
    """

    allow: list[str] = Field(
        default_factory=list,
        description="CIDRs, addresses or host names (`*.corp.example`) that may be contacted "
        "although internal, e.g. ['10.1.2.0/24', 'alerts.internal']",
    )

    @field_validator("allow")
    @classmethod
    def _valid_entries(cls, allow: list[str]) -> list[str]:
        from loghealth.egress import parse_allow_entry

        for entry in allow:
            parse_allow_entry(entry)  # ValueError names the bad entry
        return allow


class NotificationSettings(_Strict):
    """Delivery of trigger notifications: links in messages, retries, failure marking."""

    dashboard_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="base of dashboard links in notifications (default: http://<listen>)",
    )
    timeout_secs: float = Field(10.0, gt=0, le=300, description="per HTTP request, seconds")
    max_attempts: int = Field(5, ge=1, le=20, description="tries per delivery before it fails")
    retry_base_secs: float = Field(
        2.0, gt=0, description="wait before the 2nd try; doubles per try (exponential back-off)"
    )
    retry_max_secs: float = Field(300.0, gt=0, description="longest wait between two tries")
    failing_after: int = Field(
        3, ge=1, description="failed deliveries in a row that mark a trigger `is_failing`"
    )
    max_concurrent: int = Field(4, ge=1, le=64, description="deliveries in flight at once")
    queue_size: int = Field(
        1000, ge=1, description="finding events waiting for the dispatcher (oldest dropped)"
    )


def _default_sources() -> list[SourceSettings]:
    return [FileSourceSettings(paths=["./logs"])]


class Settings(BaseSettings):
    """Everything `loghealth serve` needs."""

    model_config = SettingsConfigDict(
        env_prefix="LOGHEALTH_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Field(Path("loghealth-data"), description="where the SQLite store lives")
    database_url: SecretStr | None = Field(
        None, description="postgresql+psycopg://… (default: SQLite in data_dir)"
    )
    timezone: str = Field("local", description="zone of timestamps without an offset")
    format: str | None = Field(None, description="force one format for every source")
    packs: list[str] | None = Field(None, description="signature packs to load (default: all)")
    rules: list[Path] = Field(default_factory=list, description="user rule files (hot-reloaded)")
    redact: list[str] = Field(default_factory=list, description="extra strings to redact")
    sources: list[SourceSettings] = Field(
        default_factory=_default_sources,
        description="what to watch (default: ./logs)",
    )
    findings: FindingSettings = Field(default_factory=FindingSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    listen: str = Field(
        "127.0.0.1:8470", description="host:port of the REST API ('' or 'off': no API)"
    )
    api: ApiSettings = Field(default_factory=ApiSettings)
    clients: ClientSettings = Field(default_factory=ClientSettings)
    egress: EgressSettings = Field(default_factory=EgressSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    remediation: RemediationSettings = Field(default_factory=RemediationSettings)

    def effective_database_url(self) -> str:
        """The database URL to use (SQLite file under `data_dir` by default)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'loghealth.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (init) > environment > YAML file."""
        return (init_settings, env_settings, _YamlSource(settings_cls))


class _YamlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = _CONFIG_FILE.get()
        if path is None:
            return {}
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: the top level must be a mapping of settings")
        return data


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from `config` (YAML), the environment and `overrides` (flags; None = unset).

    Raises:
        pydantic.ValidationError: a bad or unknown key (the error names its path).
        OSError, yaml.YAMLError: the config file cannot be read.
    """
    token = _CONFIG_FILE.set(config)
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    finally:
        _CONFIG_FILE.reset(token)
