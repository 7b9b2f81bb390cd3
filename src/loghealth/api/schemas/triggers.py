"""API schemas: notification triggers (filters, events, notifier, re-alert policy), deliveries.

Secrets — a webhook's `secret` and header values, every Apprise URL — are never returned:
reads show `SECRET_PLACEHOLDER`. Sending the placeholder back (or leaving the field out of a
PATCH's notifier) keeps the stored value, so a partial update cannot wipe a secret.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from loghealth.api.schemas.common import SeverityName, StrictIn
from loghealth.model import Area, Category

__all__ = [
    "SECRET_PLACEHOLDER",
    "AppriseIn",
    "AppriseOut",
    "DeliveryOut",
    "EventName",
    "NotifierIn",
    "NotifierOut",
    "TriggerFiltersIn",
    "TriggerFiltersOut",
    "TriggerIn",
    "TriggerOut",
    "TriggerPatchIn",
    "TriggerTestIn",
    "WebhookIn",
    "WebhookOut",
]

SECRET_PLACEHOLDER = "********"  # noqa: S105 - a mask, not a password
"""Shown instead of a stored secret; sent back, it means "unchanged"."""

EventName = Literal["opened", "updated", "regressed", "resolved"]
_MAX_INTERVAL_SECS = 30 * 86_400
_Text = Annotated[str, Field(min_length=1, max_length=512)]


class TriggerFiltersIn(StrictIn):
    """Filters, AND-composed (an empty list: no filter on that field; entries are OR-ed).

    `sources` and `signature_ids` take exact ids or globs (`client:kiosk-*`);
    `message_regex` (Python `regex` syntax) is searched in the finding's redacted sample line.
    In a PATCH, only the filters sent change.
    """

    severities: list[SeverityName] = Field(default_factory=list, max_length=4)
    categories: list[Category] = Field(default_factory=list, max_length=8)
    areas: list[Area] = Field(default_factory=list, max_length=32)
    sources: list[_Text] = Field(default_factory=list, max_length=100)
    signature_ids: list[_Text] = Field(default_factory=list, max_length=200)
    message_regex: str | None = Field(None, min_length=1, max_length=1000)


class TriggerFiltersOut(BaseModel):
    """A trigger's filters as stored (see `TriggerFiltersIn`)."""

    severities: list[SeverityName]
    categories: list[str]
    areas: list[str]
    sources: list[str]
    signature_ids: list[str]
    message_regex: str | None


class WebhookIn(StrictIn):
    """A generic JSON webhook (POST). `secret` signs each body (HMAC-SHA256, README).

    `headers` are sent with every request (e.g. `Authorization`); their values are secrets.
    Credentials do not belong in the URL (refused): use `headers` or `secret`.
    """

    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://", max_length=2048)
    secret: str | None = Field(None, min_length=1, max_length=512)
    headers: dict[str, Annotated[str, Field(max_length=4096)]] | None = Field(None, max_length=20)


class AppriseIn(StrictIn):
    """Apprise URLs (`slack://…`, `tgram://…`, `mailtos://…`, `ntfys://host/topic`…).

    Needs the server's optional extra `notify`. A URL equal to the placeholder keeps the
    stored URL at the same position.
    """

    type: Literal["apprise"]
    urls: list[Annotated[str, Field(min_length=1, max_length=2048)]] = Field(
        min_length=1, max_length=20
    )


NotifierIn = Annotated[WebhookIn | AppriseIn, Field(discriminator="type")]


class WebhookOut(BaseModel):
    """A webhook notifier as shown: `secret` and header values are placeholders."""

    type: Literal["webhook"]
    url: str
    secret: str | None
    headers: dict[str, str]


class AppriseOut(BaseModel):
    """Apprise URLs as shown: each a placeholder, with a credential-free `previews` entry."""

    type: Literal["apprise"]
    urls: list[str]
    previews: list[str]


NotifierOut = Annotated[WebhookOut | AppriseOut, Field(discriminator="type")]


class TriggerPatchIn(StrictIn):
    """A partial change: only the fields sent change (`filters` merged filter by filter).

    A `notifier` of the stored type keeps secrets that are left out or sent as placeholders.
    """

    name: str | None = Field(None, min_length=1, max_length=256)
    enabled: bool | None = None
    filters: TriggerFiltersIn | None = None
    events: list[EventName] | None = Field(None, min_length=1, max_length=4)
    notifier: NotifierIn | None = None
    min_interval_secs: float | None = Field(None, ge=0, le=_MAX_INTERVAL_SECS)
    max_interval_secs: float | None = Field(None, ge=0, le=_MAX_INTERVAL_SECS)
    group_window_secs: float | None = Field(None, ge=0, le=300)


def _default_events() -> list[EventName]:
    return ["opened", "regressed"]


class TriggerIn(TriggerPatchIn):
    """A new trigger: filters, the events it fires on, a notifier and its re-alert policy.

    `events`: `opened`, `regressed`, `updated` (when the hit count crosses 10, 100, 1000…),
    `resolved` (a recovery notice for a finding this trigger announced). Re-alert: after a
    notification about a finding, the next one waits `min_interval_secs`, then doubles, up to
    `max_interval_secs`. Findings firing within `group_window_secs` go out as one message.
    """

    name: str = Field(min_length=1, max_length=256)
    enabled: bool = True
    filters: TriggerFiltersIn = Field(default_factory=TriggerFiltersIn)
    events: list[EventName] = Field(default_factory=_default_events, min_length=1, max_length=4)
    notifier: NotifierIn
    min_interval_secs: float = Field(300.0, ge=0, le=_MAX_INTERVAL_SECS)
    max_interval_secs: float = Field(86_400.0, ge=0, le=_MAX_INTERVAL_SECS)
    group_window_secs: float = Field(5.0, ge=0, le=300)


class TriggerOut(BaseModel):
    """A stored trigger with its delivery health.

    `is_failing` is set after `notifications.failing_after` failed deliveries in a row
    (`consecutive_failures`, `last_error`, `last_failure_at`); a delivered message clears it.
    """

    id: int
    name: str
    enabled: bool
    filters: TriggerFiltersOut
    events: list[EventName]
    notifier: NotifierOut
    min_interval_secs: float
    max_interval_secs: float
    group_window_secs: float
    is_failing: bool
    consecutive_failures: int
    last_error: str | None
    last_failure_at: datetime | None
    last_success_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TriggerTestIn(StrictIn):
    """Which finding the test message describes.

    Default: the newest stored finding the trigger's filters accept, else a made-up example
    with id 0.
    """

    finding_id: int | None = Field(None, ge=1, le=2_147_483_647)


class DeliveryOut(BaseModel):
    """One delivery: the message's event and findings, status, attempts, last error, times.

    `status_code` is the receiver's HTTP status of the last attempt (None: no response, or
    an Apprise URL).
    """

    id: int
    trigger_id: int
    event: EventName
    finding_ids: list[int]
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_error: str | None
    status_code: int | None
    is_test: bool
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
