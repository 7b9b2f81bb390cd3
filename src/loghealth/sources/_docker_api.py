"""Sources: a small Docker Engine API client over its unix socket (list, inspect, follow logs).

Unversioned paths, so the engine answers with its own API version (Docker >= 20.10, podman's
Docker-compatible service). Only `unix://` hosts are supported.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = [
    "DEFAULT_DOCKER_SOCKET",
    "ContainerInfo",
    "DockerClient",
    "DockerError",
    "DockerNotFoundError",
    "socket_path_from_host",
]

DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock"
_CONNECT_TIMEOUT_SECS = 10.0


class DockerError(Exception):
    """The engine could not be reached or answered with an error status."""


class DockerNotFoundError(DockerError):
    """The engine answered 404: the container is gone."""


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    """A container as the engine lists it: full `id`, `name` without its leading `/`."""

    id: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    state: str = "running"


def socket_path_from_host(docker_host: str | None) -> str:
    """Return the socket path of a `DOCKER_HOST` value (`unix:///path`).

    None or an empty string gives `/var/run/docker.sock`.

    Raises:
        ValueError: for any other scheme (`tcp://`, `ssh://`, `npipe://`).
    """
    if not docker_host:
        return DEFAULT_DOCKER_SOCKET
    if not docker_host.startswith("unix://") or docker_host == "unix://":
        raise ValueError(f"only unix:// Docker hosts are supported, got {docker_host!r}")
    return docker_host.removeprefix("unix://")


def _error_text(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    return f"{response.status_code} {message or response.reason_phrase}"


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code == httpx.codes.NOT_FOUND:
        raise DockerNotFoundError(f"{what}: {_error_text(response)}")
    if response.status_code >= httpx.codes.BAD_REQUEST:
        raise DockerError(f"{what}: {_error_text(response)}")


class _Chunks:
    """The body of a log stream; transport errors become `DockerError` (the sink's are left be)."""

    def __init__(self, response: httpx.Response, what: str) -> None:
        self._chunks = response.aiter_raw()
        self._what = what

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await anext(self._chunks)
        except httpx.HTTPError as error:
            raise DockerError(f"{self._what}: {error!r}") from error


class DockerClient:
    """Docker Engine API over a unix socket; an async context manager (or call `aclose`).

    Args:
        socket_path: the engine's socket, e.g. from `socket_path_from_host(os.environ.get(
            "DOCKER_HOST"))`.
        timeout_secs: connect/read timeout of list and inspect calls (log streams never time out
            while idle).
    """

    def __init__(self, socket_path: str = DEFAULT_DOCKER_SOCKET, timeout_secs: float = 10.0):
        self.socket_path = socket_path
        self._http = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=socket_path),
            base_url="http://docker",
            timeout=timeout_secs,
        )

    async def __aenter__(self) -> DockerClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        try:
            response = await self._http.get(path, params=params)
        except httpx.HTTPError as error:
            raise DockerError(f"GET {path}: {error!r} on {self.socket_path}") from error
        _check(response, f"GET {path}")
        return response.json()

    async def list_running(self, labels: Sequence[str] = ()) -> list[ContainerInfo]:
        """List running containers (`GET /containers/json`), label-filtered by the engine.

        `labels` are Docker filter terms, `key` or `key=value`; all must match.

        Raises:
            DockerError: if the engine is unreachable or answers with an error.
        """
        params = {"filters": json.dumps({"label": list(labels)})} if labels else None
        listed = await self._get_json("/containers/json", params)
        return [
            ContainerInfo(
                id=item["Id"],
                name=(item.get("Names") or [item["Id"][:12]])[0].lstrip("/"),
                labels=item.get("Labels") or {},
                state=item.get("State") or "running",
            )
            for item in listed
        ]

    async def is_tty(self, container_id: str) -> bool:
        """Return the container's `Config.Tty` (`GET /containers/{id}/json`).

        Raises:
            DockerNotFoundError: if the container does not exist.
            DockerError: if the engine is unreachable or answers with another error.
        """
        inspected = await self._get_json(f"/containers/{container_id}/json")
        return bool((inspected.get("Config") or {}).get("Tty"))

    @asynccontextmanager
    async def follow_logs(
        self, container_id: str, *, stdout: bool, stderr: bool, since_secs: int | None
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """Open `GET /containers/{id}/logs?follow=1&timestamps=1`; yield its raw byte chunks.

        The chunks are the Docker "attach/logs stream format" (8-byte-header frames, or a raw
        stream for TTY containers) cut at arbitrary points. The stream ends when the container
        stops. `since_secs` (UNIX seconds, inclusive) skips older lines.

        Raises:
            DockerNotFoundError: if the container does not exist.
            DockerError: if the engine is unreachable, answers with an error or drops the stream.
        """
        params = {
            "follow": "1",
            "timestamps": "1",
            "stdout": "1" if stdout else "0",
            "stderr": "1" if stderr else "0",
        }
        if since_secs is not None:
            params["since"] = str(since_secs)
        path = f"/containers/{container_id}/logs"
        what = f"GET {path}"
        timeout = httpx.Timeout(_CONNECT_TIMEOUT_SECS, read=None)
        async with AsyncExitStack() as stack:
            try:
                response = await stack.enter_async_context(
                    self._http.stream("GET", path, params=params, timeout=timeout)
                )
                if response.status_code >= httpx.codes.BAD_REQUEST:
                    await response.aread()
            except httpx.HTTPError as error:
                raise DockerError(f"{what}: {error!r} on {self.socket_path}") from error
            _check(response, what)
            yield _Chunks(response, what)
