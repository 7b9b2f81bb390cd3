"""Alerts stage: notifier configurations as stored with a trigger, and building notifiers.

A trigger's `notifier` is stored as JSON: `{"type": "webhook", "url": …, "secret": …,
"headers": {…}}` or `{"type": "apprise", "urls": […]}`. Secrets are kept as given (they are
needed to send); the API never returns them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from loghealth.alerts.apprise import AppriseNotifier
from loghealth.alerts.base import Notifier
from loghealth.alerts.webhook import WebhookNotifier
from loghealth.clock import Clock
from loghealth.egress import EgressPolicy, egress_client

__all__ = [
    "AppriseConfig",
    "NotifierConfig",
    "WebhookConfig",
    "build_notifier",
    "parse_notifier",
]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookConfig(_Config):
    """A JSON webhook: `url` (http/https), optional HMAC `secret` and extra `headers`."""

    type: Literal["webhook"] = "webhook"
    url: str = Field(pattern=r"^https?://", max_length=2048)
    secret: str | None = Field(None, max_length=512)
    headers: dict[str, str] = Field(default_factory=dict)


class AppriseConfig(_Config):
    """Apprise URLs (each may carry credentials)."""

    type: Literal["apprise"] = "apprise"
    urls: list[str] = Field(min_length=1, max_length=20)


NotifierConfig = Annotated[WebhookConfig | AppriseConfig, Field(discriminator="type")]
_ADAPTER: TypeAdapter[WebhookConfig | AppriseConfig] = TypeAdapter(NotifierConfig)


def parse_notifier(data: dict[str, Any]) -> WebhookConfig | AppriseConfig:
    """Read a stored notifier configuration.

    Raises:
        pydantic.ValidationError: an unknown `type` or a malformed field.
    """
    return _ADAPTER.validate_python(data)


def build_notifier(
    config: WebhookConfig | AppriseConfig,
    policy: EgressPolicy,
    clock: Clock,
    *,
    timeout_secs: float = 10.0,
    client: httpx.AsyncClient | None = None,
) -> Notifier:
    """Build the notifier of a configuration.

    A webhook uses `client` (an `egress_client` shared by the caller) or, without one, its own
    `egress_client(policy)`, closed by the notifier's `aclose`.
    """
    if isinstance(config, AppriseConfig):
        return AppriseNotifier(config.urls, policy, timeout_secs=timeout_secs)
    owns = client is None
    http = client if client is not None else egress_client(policy, timeout_secs=timeout_secs)
    return WebhookNotifier(
        config.url, http, clock, secret=config.secret, headers=config.headers, owns_client=owns
    )
