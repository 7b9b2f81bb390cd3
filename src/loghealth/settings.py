"""Settings of `loghealth serve`: one YAML file + `LOGHEALTH_*` environment + command-line flags.

Precedence: flags > environment (`LOGHEALTH_DATABASE_URL`, nested with `__`, e.g.
`LOGHEALTH_FINDINGS__AUTO_RESOLVE_AFTER_SECS`) > YAML file > defaults. Unknown keys are rejected
with the path of the bad key. Built by the CLI and passed down; never read at import time.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

__all__ = [
    "ApiSettings",
    "ClientSettings",
    "DockerSourceSettings",
    "FileSourceSettings",
    "FindingSettings",
    "RateLimitSettings",
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
