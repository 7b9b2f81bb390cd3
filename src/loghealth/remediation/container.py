"""Remediation: the `container_restart` action — restart a container through the engine API.

Docker Engine API `POST /containers/{id}/restart?t=<secs>` (answers 204 No Content; 404 for an
unknown container) over the engine's unix socket; podman's Docker-compatible service answers the
same. A small client of its own, so remediation does not depend on the sources stage.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from loghealth.remediation.base import ActionContext, ActionResult, RunStatus
from loghealth.settings import ContainerRestartActionSettings

__all__ = ["DEFAULT_DOCKER_SOCKET", "ContainerRestartAction", "socket_path"]

DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock"
_CONTAINER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}")
_SOURCE_PREFIX = "docker:"
_REQUEST_MARGIN_SECS = 30.0  # the engine answers after the stop timeout and the start


def socket_path(docker_host: str | None) -> str:
    """The socket path of a `DOCKER_HOST`-style value (`unix:///path`; None: the default socket).

    Raises:
        ValueError: for any other scheme (`tcp://`, `ssh://`, `npipe://`).
    """
    if not docker_host:
        return DEFAULT_DOCKER_SOCKET
    if not docker_host.startswith("unix://") or docker_host == "unix://":
        raise ValueError(f"only unix:// engine hosts are supported, got {docker_host!r}")
    return docker_host.removeprefix("unix://")


class ContainerRestartAction:
    """Restarts the configured container, or the finding's own (source `docker:<name>`).

    Args:
        name: the action's name in `remediation.actions`.
        settings: host, container, timeout_secs (the engine's stop grace), cooldown_secs.
        environ: where `DOCKER_HOST` is read when `host` is unset (default: `os.environ`).
    """

    type = "container_restart"

    def __init__(
        self,
        name: str,
        settings: ContainerRestartActionSettings,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.cooldown_secs = settings.cooldown_secs
        self._environ = os.environ if environ is None else environ

    def container(self, context: ActionContext) -> str:
        """The container to restart: the configured one, else the finding's source container.

        Raises:
            ValueError: no container is configured and the source is not `docker:<name>`.
        """
        if self.settings.container:
            return self.settings.container
        source = context.source_id or ""
        name = source.removeprefix(_SOURCE_PREFIX)
        if not source.startswith(_SOURCE_PREFIX) or not _CONTAINER_NAME.fullmatch(name):
            raise ValueError(
                f"no container configured and the source {source or '(none)'!r} is not a container"
            )
        return name

    def describe(self) -> dict[str, Any]:
        """The settings (nothing secret in them)."""
        return self.settings.model_dump(mode="json")

    def preview(self, context: ActionContext) -> str:
        """`would restart container <name>` (or why it could not)."""
        try:
            return f"would restart container {self.container(context)}"
        except ValueError as error:
            return f"would fail: {error}"

    async def run(self, context: ActionContext) -> ActionResult:
        """Ask the engine to restart the container and wait for its answer.

        204 is `succeeded`; another status `failed` (with the engine's message); no container to
        name, a bad host or an unreachable engine `error`.
        """
        started = time.monotonic()
        try:
            container = self.container(context)
            path = socket_path(self.settings.host or self._environ.get("DOCKER_HOST"))
        except ValueError as error:
            return ActionResult(RunStatus.ERROR, error=str(error))
        try:
            response = await self._post_restart(path, container)
        except httpx.HTTPError as error:
            return ActionResult(
                RunStatus.ERROR,
                duration_secs=time.monotonic() - started,
                error=f"engine on {path} did not answer: {error!r}",
            )
        duration = time.monotonic() - started
        code = response.status_code
        if code == httpx.codes.NO_CONTENT:
            return ActionResult(
                RunStatus.SUCCEEDED, code, f"restarted container {container}", duration
            )
        reason = "no such container" if code == httpx.codes.NOT_FOUND else _message(response)
        return ActionResult(
            RunStatus.FAILED, code, response.text[:2000], duration, f"{container}: {reason}"
        )

    async def _post_restart(self, path: str, container: str) -> httpx.Response:
        transport = httpx.AsyncHTTPTransport(uds=path)
        timeout = self.settings.timeout_secs + _REQUEST_MARGIN_SECS
        async with httpx.AsyncClient(
            transport=transport, base_url="http://docker", timeout=timeout
        ) as client:
            return await client.post(
                f"/containers/{quote(container, safe='')}/restart",
                params={"t": str(self.settings.timeout_secs)},
            )


def _message(response: httpx.Response) -> str:
    """The engine's `{"message": …}` error text, else the HTTP reason."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    return f"{response.status_code} {message or response.reason_phrase}"
