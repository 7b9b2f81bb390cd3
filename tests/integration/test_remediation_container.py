"""The `container_restart` action against a real engine (podman's Docker API service from
../shared/tools/container-engine.sh): the container really restarts (its StartedAt changes)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from loghealth.remediation import ActionContext, RunStatus
from loghealth.remediation.container import ContainerRestartAction
from loghealth.settings import ContainerRestartActionSettings

from .conftest import Engine

SCRIPT = "trap 'exit 0' TERM; echo started; while :; do sleep 1; done"


def inspect(engine: Engine, name: str) -> dict[str, Any]:
    transport = httpx.HTTPTransport(uds=engine.socket_path)
    with httpx.Client(transport=transport, base_url="http://docker", timeout=10) as client:
        response = client.get(f"/containers/{name}/json")
        response.raise_for_status()
        state: dict[str, Any] = response.json()["State"]
        return state


def context(source_id: str | None) -> ActionContext:
    return ActionContext(action="restart", event="opened", finding_id=1, source_id=source_id)


@pytest.mark.docker
def test_the_findings_container_is_restarted(container_engine: Engine) -> None:
    name = container_engine.name("heal")
    container_engine.run(name, SCRIPT)
    try:
        before = inspect(container_engine, name)
        assert before["Running"] is True
        time.sleep(1.1)  # StartedAt has a resolution of whole seconds on some engines
        settings = ContainerRestartActionSettings(timeout_secs=5)
        # no host configured: DOCKER_HOST is used; no container configured: the source's
        action = ContainerRestartAction(
            "restart", settings, {"DOCKER_HOST": f"unix://{container_engine.socket_path}"}
        )
        result = asyncio.run(action.run(context(f"docker:{name}")))
        assert (result.status, result.exit_code, result.error) == (RunStatus.SUCCEEDED, 204, None)
        assert result.output == f"restarted container {name}"
        after = inspect(container_engine, name)
        assert after["Running"] is True
        assert after["StartedAt"] != before["StartedAt"], (before, after)
        assert after["StartedAt"] > before["StartedAt"]
    finally:
        container_engine.remove(name)


@pytest.mark.docker
def test_a_configured_container_that_does_not_exist_fails(container_engine: Engine) -> None:
    missing = container_engine.name("never-created")
    settings = ContainerRestartActionSettings(
        host=f"unix://{container_engine.socket_path}", container=missing
    )
    action = ContainerRestartAction("restart", settings)
    result = asyncio.run(action.run(context("file:/var/log/app.log")))  # the source is not used
    assert (result.status, result.exit_code) == (RunStatus.FAILED, 404)
    assert result.error == f"{missing}: no such container"
