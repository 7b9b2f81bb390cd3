"""Remediation: build the configured actions from settings (`remediation.actions`, by name).

Only what an admin wrote in the config becomes an action: the API and the catalog can name an
action, never define one. Secrets of every action (environment and header values) are listed
so that the runner can redact them from what it audits.
"""

from __future__ import annotations

from collections.abc import Sequence

from loghealth.remediation.base import Action
from loghealth.remediation.command import CommandAction
from loghealth.remediation.container import ContainerRestartAction
from loghealth.remediation.http import HttpAction
from loghealth.settings import (
    ActionSettings,
    CommandActionSettings,
    ContainerRestartActionSettings,
    HttpActionSettings,
    RemediationSettings,
)

__all__ = ["action_secrets", "build_action", "build_actions"]


def build_action(name: str, settings: ActionSettings, egress_allow: Sequence[str] = ()) -> Action:
    """One action from its settings (`type` decides the class).

    `egress_allow` is `settings.egress.allow`: the hosts and CIDRs an `http` action may reach
    although the egress guard refuses them by default (loopback, private ranges…).

    Raises:
        ValueError: an entry of `egress_allow` is malformed (settings validation prevents it).
    """
    if isinstance(settings, CommandActionSettings):
        return CommandAction(name, settings)
    if isinstance(settings, ContainerRestartActionSettings):
        return ContainerRestartAction(name, settings)
    return HttpAction(name, settings, egress_allow)


def build_actions(
    settings: RemediationSettings, egress_allow: Sequence[str] = ()
) -> dict[str, Action]:
    """Every configured action by name (in the config's order)."""
    return {
        name: build_action(name, action, egress_allow) for name, action in settings.actions.items()
    }


def action_secrets(settings: RemediationSettings) -> list[str]:
    """The secret values of every action (command `env`, http `headers`), to redact."""
    secrets: list[str] = []
    for action in settings.actions.values():
        if isinstance(action, CommandActionSettings):
            secrets += [value.get_secret_value() for value in action.env.values()]
        elif isinstance(action, HttpActionSettings):
            secrets += [value.get_secret_value() for value in action.headers.values()]
    return [secret for secret in secrets if len(secret) >= 4]  # too short to redact safely
