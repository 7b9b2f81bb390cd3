"""Load benchmark of the REST API on loopback: client-log ingest throughput and overview latency.

Starts `loghealth serve`'s pipeline and API in this process (uvicorn on 127.0.0.1, SQLite in a
temp folder by default), registers `--clients` clients with ingest keys, then:

1. ingest: `--concurrency` httpx clients push batches of `--batch` entries (each client with its
   own ingest key) for `--ingest-secs` seconds → entries/s committed (a 202 means stored);
2. overview: `--overview-requests` sequential `GET /api/v1/clients` with a superadmin token → p50
   and p99 latency (ms) with `--clients` clients and everything pushed in step 1.

Bounded in count and time; connections only to 127.0.0.1.

    python bench/api_load.py --clients 1000 --ingest-secs 10 --overview-requests 50
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import cast

import httpx

from loghealth.api.server import api_service
from loghealth.clock import SystemClock
from loghealth.runtime.pipeline import Pipeline
from loghealth.runtime.serve import run_serve
from loghealth.settings import Settings
from loghealth.store.clients import ClientInfo, ClientStore
from loghealth.store.tokens import Role, TokenStore

MESSAGES = ("user logged in", "cache refreshed", "WOBBLE on uplink", "BOOM 7 in renderer")
RULES = """
signatures:
  - {id: boom, patterns: ['BOOM \\d+'], severity: error, category: bug, area: process}
"""


def start_server(settings: Settings, clients: int) -> tuple[str, str, list[str], threading.Event]:
    started, done = threading.Event(), threading.Event()
    state: dict[str, object] = {}

    def ready(pipeline: Pipeline) -> None:
        now = SystemClock().now()
        store = ClientStore(pipeline.store.engine)
        keys = []
        for n in range(clients):
            store.upsert(ClientInfo(f"c{n:05d}", hostname=f"host-{n}", group=f"g{n % 10}"), now)
            keys.append(store.rotate_key(f"c{n:05d}", now))
        state["keys"] = keys
        state["token"] = TokenStore(pipeline.store.engine).create("bench", Role.SUPERADMIN, now)[1]

    def bound(host: str, port: int) -> None:
        state["url"] = f"http://{host}:{port}"
        started.set()

    def serve() -> None:
        async def main() -> None:
            stop = asyncio.Event()
            state["stop"], state["loop"] = stop, asyncio.get_running_loop()
            service = api_service(settings, SystemClock(), bound)
            await run_serve(settings, SystemClock(), stop, on_ready=ready, services=[service])

        asyncio.run(main())
        done.set()

    threading.Thread(target=serve, daemon=True).start()
    if not started.wait(120):
        raise SystemExit("the API did not start")
    loop = cast(asyncio.AbstractEventLoop, state["loop"])
    stop = cast(asyncio.Event, state["stop"])
    stopper = threading.Event()
    threading.Thread(
        target=lambda: (stopper.wait(), loop.call_soon_threadsafe(stop.set)), daemon=True
    ).start()
    keys = cast(list[str], state["keys"])
    return str(state["url"]), str(state["token"]), keys, stopper


async def ingest(url: str, keys: list[str], args: argparse.Namespace) -> tuple[int, list[float]]:
    deadline = time.monotonic() + args.ingest_secs
    pushed = 0
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=args.concurrency)

    async def worker(index: int, http: httpx.AsyncClient) -> None:
        nonlocal pushed
        n = index
        while time.monotonic() < deadline:
            client = n % len(keys)
            n += args.concurrency
            entries = [
                {"level": "INFO" if i % 4 else "WARN", "message": MESSAGES[i % len(MESSAGES)]}
                for i in range(args.batch)
            ]
            started = time.perf_counter()
            response = await http.post(
                f"/api/v1/clients/c{client:05d}/logs",
                json={"entries": entries},
                headers={"Authorization": f"Bearer {keys[client]}"},
            )
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 202:
                raise SystemExit(f"push failed: {response.status_code} {response.text}")
            pushed += args.batch

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        await asyncio.gather(*(worker(i, http) for i in range(args.concurrency)))
    return pushed, latencies


async def overview(url: str, token: str, requests: int) -> tuple[list[float], int]:
    latencies = []
    clients = 0
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for _ in range(requests):
            started = time.perf_counter()
            response = await http.get(
                "/api/v1/clients", headers={"Authorization": f"Bearer {token}"}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            clients = len(response.json()["clients"])
    return latencies, clients


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100, help="entries per push")
    parser.add_argument("--ingest-secs", type=float, default=10.0)
    parser.add_argument("--overview-requests", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    args = parser.parse_args()
    args.ingest_secs = min(args.ingest_secs, 120.0)
    args.overview_requests = min(args.overview_requests, 1000)
    with tempfile.TemporaryDirectory() as folder:
        rules = Path(folder) / "rules.yaml"
        rules.write_text(RULES)
        settings = Settings(
            sources=[],
            data_dir=Path(folder),
            database_url=args.database_url,
            rules=[rules],
            listen="127.0.0.1:0",
            api={"requests_per_sec": 1e6, "burst": 1_000_000, "max_batch_entries": 10_000},
        )
        url, token, keys, stopper = start_server(settings, args.clients)
        pushed, push_ms = asyncio.run(ingest(url, keys, args))
        print(
            f"ingest: {pushed} entries in {args.ingest_secs:.0f} s = "
            f"{pushed / args.ingest_secs:,.0f} entries/s "
            f"({args.concurrency} connections, {args.batch} entries/push; push p50 "
            f"{statistics.median(push_ms):.1f} ms, p99 {percentile(push_ms, 0.99):.1f} ms)"
        )
        latencies, clients = asyncio.run(overview(url, token, args.overview_requests))
        print(
            f"overview: {clients} clients, {len(latencies)} requests: "
            f"p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms"
        )
        stopper.set()
        time.sleep(1.0)


if __name__ == "__main__":
    main()
