"""The `container_restart` action without an engine: which container, and failures as results."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from loghealth.remediation import ActionContext, RunStatus
from loghealth.remediation.container import ContainerRestartAction, socket_path
from loghealth.settings import ContainerRestartActionSettings


def context(source_id: str | None) -> ActionContext:
    return ActionContext(action="restart", event="opened", source_id=source_id)


def test_the_container_is_the_configured_one_or_the_findings_source() -> None:
    own = ContainerRestartAction("r", ContainerRestartActionSettings(), {})
    assert own.container(context("docker:web-1")) == "web-1"
    assert own.preview(context("docker:web-1")) == "would restart container web-1"
    for source in ("file:/var/log/app.log", "docker:../../etc", "docker:", None):
        with pytest.raises(ValueError, match="not a container"):
            own.container(context(source))
    assert own.preview(context("client:kiosk")).startswith("would fail: no container configured")
    fixed = ContainerRestartAction("r", ContainerRestartActionSettings(container="db"), {})
    assert fixed.container(context("docker:web-1")) == "db"


@pytest.mark.parametrize("name", ["../etc", "a/b", "-x", "a b", ""])
def test_configured_container_names_are_validated(name: str) -> None:
    with pytest.raises(ValueError, match="pattern"):
        ContainerRestartActionSettings(container=name)


def test_only_unix_hosts_are_supported() -> None:
    assert socket_path(None) == "/var/run/docker.sock"
    assert socket_path("unix:///run/podman.sock") == "/run/podman.sock"
    for host in ("tcp://10.0.0.1:2375", "ssh://host", "unix://"):
        with pytest.raises(ValueError, match="unix://"):
            socket_path(host)


def test_failures_are_results_not_exceptions(tmp_path: Path) -> None:
    missing = f"unix://{tmp_path / 'no-engine.sock'}"
    unreachable = ContainerRestartAction("r", ContainerRestartActionSettings(host=missing), {})
    result = asyncio.run(unreachable.run(context("docker:web")))
    assert result.status is RunStatus.ERROR and result.exit_code is None
    assert (result.error or "").startswith(f"engine on {tmp_path / 'no-engine.sock'} did not")
    not_a_container = asyncio.run(unreachable.run(context("file:/x.log")))
    assert not_a_container.status is RunStatus.ERROR
    tcp = ContainerRestartAction("r", ContainerRestartActionSettings(), {"DOCKER_HOST": "tcp://h"})
    refused = asyncio.run(tcp.run(context("docker:web")))
    assert refused.status is RunStatus.ERROR and "unix://" in (refused.error or "")
