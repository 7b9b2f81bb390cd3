"""API: serve the app with uvicorn inside the caller's event loop until `stop` is set."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Generator
from typing import Any

import uvicorn
from fastapi import FastAPI

from loghealth.api.app import create_app
from loghealth.api.deps import SourceControl
from loghealth.clock import Clock
from loghealth.runtime.pipeline import Pipeline
from loghealth.settings import Settings

__all__ = ["api_service", "parse_listen", "serve_app"]


def parse_listen(listen: str) -> tuple[str, int]:
    """Split `host:port` (`[::1]:8470` for IPv6).

    Raises:
        ValueError: no port, or a port outside 0-65535.
    """
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"listen {listen!r}: use host:port, e.g. 127.0.0.1:8470")
    return host.strip("[]") or "127.0.0.1", int(port)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `serve` owns SIGINT/SIGTERM and sets `stop`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve_app(
    app: FastAPI,
    listen: str,
    stop: asyncio.Event,
    on_started: Callable[[str, int], None] | None = None,
) -> None:
    """Serve `app` on `listen` until `stop` is set; `on_started(host, port)` once bound.

    Raises:
        ValueError: a malformed `listen`.
        OSError: the address cannot be bound (SystemExit from uvicorn is turned into this).
    """
    host, port = parse_listen(listen)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            try:
                task.result()
            except SystemExit:
                raise OSError(f"cannot listen on {listen}") from None
            raise OSError(f"cannot listen on {listen}")
        await asyncio.sleep(0.01)
    if on_started is not None:
        bound = server.servers[0].sockets[0].getsockname()
        on_started(bound[0], bound[1])
    await stop.wait()
    app.state.context.stopping.set()  # live streams (SSE) end, so open ones do not hold us up
    server.should_exit = True
    await task


def api_service(
    settings: Settings, clock: Clock, on_started: Callable[[str, int], None] | None = None
) -> Callable[[Pipeline, SourceControl, asyncio.Event], Coroutine[Any, Any, None]]:
    """A `run_serve` service: the API over the running pipeline, on `settings.listen`."""

    async def service(pipeline: Pipeline, sources: SourceControl, stop: asyncio.Event) -> None:
        app = create_app(
            settings, store=pipeline.store, clock=clock, pipeline=pipeline, sources=sources
        )
        await serve_app(app, settings.listen, stop, on_started)

    return service
