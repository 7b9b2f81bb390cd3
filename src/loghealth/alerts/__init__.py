"""Alerts stage: triggers select finding events, notifiers send them (webhook, Apprise).

`routing` decides which trigger fires, `policy` holds back repeats and groups findings,
`delivery` retries with back-off; every outbound request goes through `loghealth.egress`.
"""

from loghealth.alerts.base import (
    PAYLOAD_VERSION,
    DeliveryError,
    FindingNotice,
    Notification,
    Notifier,
)
from loghealth.alerts.config import (
    AppriseConfig,
    NotifierConfig,
    WebhookConfig,
    build_notifier,
    parse_notifier,
)
from loghealth.alerts.delivery import Attempt, DeliveryOutcome, deliver, retry_delay_secs
from loghealth.alerts.policy import AlertState, Decision, Grouper, Holds, decide
from loghealth.alerts.routing import (
    FIRING_EVENTS,
    TRIGGER_EVENTS,
    TriggerFilters,
    TriggerRule,
    compile_message_regex,
    crossed_step,
    should_fire,
)

__all__ = [
    "FIRING_EVENTS",
    "PAYLOAD_VERSION",
    "TRIGGER_EVENTS",
    "AlertState",
    "AppriseConfig",
    "Attempt",
    "Decision",
    "DeliveryError",
    "DeliveryOutcome",
    "FindingNotice",
    "Grouper",
    "Holds",
    "Notification",
    "Notifier",
    "NotifierConfig",
    "TriggerFilters",
    "TriggerRule",
    "WebhookConfig",
    "build_notifier",
    "compile_message_regex",
    "crossed_step",
    "decide",
    "deliver",
    "parse_notifier",
    "retry_delay_secs",
    "should_fire",
]
