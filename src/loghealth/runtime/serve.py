"""Runtime: `loghealth serve` — build the pipeline from settings, find files, run until stopped."""

from __future__ import annotations

import asyncio
import glob
import os
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from loghealth.clock import Clock
from loghealth.engine import Engine, Redactor
from loghealth.engine.live import RateLimit
from loghealth.parsing import resolve_timezone
from loghealth.rules.loader import (
    DEFAULT_LANGUAGE,
    Catalog,
    CatalogError,
    Signature,
    load_catalog,
)
from loghealth.rules.schema import SignatureSpec, Tier
from loghealth.runtime.cache import default_cache
from loghealth.runtime.pipeline import Pipeline, PipelineOptions
from loghealth.runtime.reload import RuleReloader
from loghealth.settings import (
    DockerSourceSettings,
    FileSourceSettings,
    Settings,
    SyslogSourceSettings,
)
from loghealth.sources import discover_inputs
from loghealth.sources.base import Source
from loghealth.sources.docker import (
    ContainerDiscovery,
    ContainerStream,
    DockerClient,
    LogCursor,
    socket_path_from_host,
)
from loghealth.sources.syslog import SyslogTcpSource, SyslogUdpSource
from loghealth.sources.tail import FileSource, StartPosition
from loghealth.sources.watch import FileWatcher
from loghealth.store.migrate import create_store_engine, migrate
from loghealth.store.repository import Store
from loghealth.store.rules import GLOBAL_SCOPE, RuleStore, StoredRule

__all__ = [
    "COMMON_LOG_LOCATIONS",
    "Service",
    "apply_stored_rules",
    "build_engine",
    "build_pipeline",
    "build_source_engines",
    "discover_common_locations",
    "expand_file_paths",
    "run_serve",
]

_GLOB_CHARS = set("*?[")

COMMON_LOG_LOCATIONS: tuple[str, ...] = (
    "./logs",
    "/var/log/syslog",
    "/var/log/messages",
    "/var/log/auth.log",
    "/var/log/secure",
    "/var/log/kern.log",
    "/var/log/daemon.log",
    "/var/log/nginx/*.log",
    "/var/log/apache2/*.log",
    "/var/log/httpd/*_log",
    "/var/log/postgresql/*.log",
    "/var/log/mysql/*.log",
    "/var/log/redis/*.log",
)
"""Where `serve --discover` looks (those that exist are followed)."""


def discover_common_locations() -> list[str]:
    """The entries of `COMMON_LOG_LOCATIONS` that exist on this machine now."""
    found = []
    for entry in COMMON_LOG_LOCATIONS:
        if _GLOB_CHARS & set(entry):
            if glob.glob(entry):  # noqa: PTH207 - absolute patterns
                found.append(entry)
        elif Path(entry).exists():
            found.append(entry)
    return found


def expand_file_paths(setting: FileSourceSettings) -> list[Path]:
    """Files a file-source setting names right now (globs and directories expanded, sorted).

    An explicit file path is followed even before it exists; a missing directory or a glob
    without matches gives nothing yet (re-read every `rescan_secs`).
    """
    found: set[Path] = set()
    for entry in setting.paths:
        path = Path(entry)
        if _GLOB_CHARS & set(entry):
            matches = glob.glob(entry, recursive=True)  # noqa: PTH207 - absolute patterns too
            found.update(Path(p) for p in matches if Path(p).is_file())
        elif path.is_dir():
            found.update(i.path for i in discover_inputs([entry]) if i.path is not None)
        elif path.suffix or path.is_file():
            found.add(path)
    return sorted(p.absolute() for p in found)


def apply_stored_rules(
    catalog: Catalog, rules: Sequence[StoredRule], scopes: Collection[str] = (GLOBAL_SCOPE,)
) -> Catalog:
    """A new catalog: `catalog` with the stored rules of `scopes` applied (`catalog` is kept).

    As in rule files, a rule replaces the signature with its id and a disabled one removes it; a
    row without a body only removes (disabled) or leaves (enabled) the entry of its id. A row
    whose body no longer validates is left out and reported in `errors`.
    """
    by_id = {signature.id: signature for signature in catalog.signatures}
    order = max((signature.order for signature in catalog.signatures), default=-1) + 1
    texts = {lang: dict(entries) for lang, entries in catalog.texts.items()}
    errors = list(catalog.errors)
    for rule in sorted(rules, key=lambda r: (r.scope != GLOBAL_SCOPE, r.id)):
        if rule.scope not in scopes:
            continue
        if rule.is_switch_only:
            if not rule.enabled:
                by_id.pop(rule.id, None)
            continue
        try:
            fields = {**rule.body, "id": rule.id, "enabled": rule.enabled}
            spec = SignatureSpec.model_validate(fields)
        except ValidationError as error:
            errors.append(f"stored rule {rule.id}: {error.errors()[0]['msg']}")
            continue
        by_id.pop(spec.id, None)
        if spec.enabled:
            by_id[spec.id] = Signature(
                spec, "rules", Tier.RULE, order, spec.min_level, spec.docs_url
            )
            order += 1
        if spec.text is not None:
            texts.setdefault(DEFAULT_LANGUAGE, {})[spec.id] = spec.text.model_dump()
    signatures = sorted(by_id.values(), key=lambda s: s.order)
    return Catalog(signatures, dict(catalog.packs), texts, errors)


def build_engine(
    settings: Settings, rules: Sequence[StoredRule] = (), engine: str = "auto"
) -> Engine:
    """An engine over the packs and rule files of `settings` plus the global stored `rules`.

    Raises:
        loghealth.rules.loader.CatalogError: a named pack does not exist or is broken.
    """
    catalog = apply_stored_rules(load_catalog(settings.packs, settings.rules), rules)
    redactor = Redactor(settings.redact, catalog.redact_patterns())
    return Engine(catalog, redactor, engine, default_cache())


def build_source_engines(
    settings: Settings, rules: Sequence[StoredRule], engine: str = "auto"
) -> dict[str, Engine]:
    """One engine per source that has stored rules of its own (global rules + that source's).

    Sources without rules of their own use the global engine (`build_engine`).
    """
    scopes = sorted({rule.scope for rule in rules if rule.scope != GLOBAL_SCOPE})
    if not scopes:
        return {}
    base = load_catalog(settings.packs, settings.rules)
    engines = {}
    for scope in scopes:
        catalog = apply_stored_rules(base, rules, (GLOBAL_SCOPE, scope))
        redactor = Redactor(settings.redact, catalog.redact_patterns())
        engines[scope] = Engine(catalog, redactor, engine, default_cache())
    return engines


def build_pipeline(settings: Settings, clock: Clock) -> Pipeline:
    """Catalog (with stored rules), engine, migrated store and pipeline (rules hot-reload)."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store_engine = create_store_engine(settings.effective_database_url())
    migrate(store_engine)
    rules = RuleStore(store_engine)
    stored_rules = rules.list()
    engine = build_engine(settings, stored_rules)
    catalog = engine.catalog
    version = ",".join(f"{name}@{meta.version}" for name, meta in sorted(catalog.packs.items()))
    store = Store(store_engine, catalog_version=version)
    options = PipelineOptions(
        tz=resolve_timezone(settings.timezone),
        format=settings.format,
        auto_resolve_after_secs=settings.findings.auto_resolve_after_secs,
        rate_limit=RateLimit(settings.rate_limit.hits_per_sec, settings.rate_limit.burst),
    )

    def rebuild() -> Engine:
        try:
            stored = rules.list()
        except SQLAlchemyError as error:  # the reloader then keeps the engine it has
            raise CatalogError(f"stored rules cannot be read: {error}") from None
        pipeline.source_engines = build_source_engines(settings, stored)
        return build_engine(settings, stored)

    reloader = RuleReloader(settings.rules, rebuild) if settings.rules else None
    pipeline = Pipeline(engine, store, clock, options, reloader=reloader)
    pipeline.source_engines = build_source_engines(settings, stored_rules)
    return pipeline


class _FileDiscovery:
    """Starts file sources; also what the API may use to add or remove watched paths."""

    def __init__(
        self, pipeline: Pipeline, watcher: FileWatcher, clock: Clock, stop: asyncio.Event
    ) -> None:
        self.pipeline = pipeline
        self.watcher = watcher
        self.clock = clock
        self.stop = stop
        self.checkpoints = pipeline.store.checkpoints()
        self.rescans: list[asyncio.Task[None]] = []
        self.stopped: set[str] = set()  # removed by a user: rescans do not start them again

    def add_path(self, path: str) -> list[str]:
        """Follow a file, directory or glob from now on; return the ids of the sources started."""
        before = set(self.pipeline.sources)
        setting = FileSourceSettings(paths=[path])
        self.stopped -= {f"file:{found}" for found in expand_file_paths(setting)}
        self.start_new(setting, initial=False)
        self.rescans.append(asyncio.create_task(self.rescan(setting, self.stop)))
        return sorted(set(self.pipeline.sources) - before)

    def remove(self, source_id: str) -> bool:
        """Stop following a source; rescans leave it stopped until its path is added again."""
        removed = self.pipeline.remove_source(source_id)
        if removed:
            self.stopped.add(source_id)
        return removed

    def start_new(self, setting: FileSourceSettings, initial: bool) -> int:
        started = 0
        for path in expand_file_paths(setting):
            source_id = f"file:{path}"
            if source_id in self.pipeline.sources or source_id in self.stopped:
                continue
            checkpoint = self.checkpoints.get(source_id)
            if checkpoint is not None:
                start = StartPosition(
                    checkpoint.device, checkpoint.inode, checkpoint.offset, checkpoint.line_no
                )
            else:
                start = StartPosition(at_end=initial and setting.start_at == "end")
            self.pipeline.add_source(FileSource(path, self.watcher, self.clock, start))
            started += 1
        return started

    async def rescan(self, setting: FileSourceSettings, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(setting.rescan_secs)
            self.start_new(setting, initial=False)


async def _network_source(
    setting: SyslogSourceSettings | DockerSourceSettings,
    clock: Clock,
    cursors: Mapping[str, LogCursor],
    closers: AsyncExitStack,
) -> Source:
    """A syslog listener (bound now, so a busy port fails at start) or container discovery.

    Container tails resume from `cursors` (stored ones, by container id); the engine client is
    closed with `closers`.
    """
    if isinstance(setting, SyslogSourceSettings):
        factory = SyslogUdpSource if setting.protocol == "udp" else SyslogTcpSource
        listener = factory(setting.host, setting.port, clock=clock)
        await listener.bind()
        return listener
    socket_path = socket_path_from_host(setting.host or os.environ.get("DOCKER_HOST"))
    client = await closers.enter_async_context(DockerClient(socket_path))
    return ContainerDiscovery(
        client,
        interval_secs=setting.discover_secs,
        names=setting.names,
        exclude_names=setting.exclude_names,
        labels=setting.labels,
        streams=frozenset(ContainerStream(s) for s in setting.streams),
        clock=clock,
        cursors=cursors,
    )


class Service(Protocol):
    """Something that runs beside the pipeline until `stop` is set (e.g. the REST API).

    `sources` has `add_path(path) -> list[str]` and `remove(source_id) -> bool`.
    """

    def __call__(
        self, pipeline: Pipeline, sources: _FileDiscovery, stop: asyncio.Event, /
    ) -> Awaitable[None]:
        """Run until `stop` is set."""
        ...


async def run_serve(
    settings: Settings,
    clock: Clock,
    stop: asyncio.Event,
    extra_sources: list[Source] | None = None,
    on_ready: Callable[[Pipeline], None] | None = None,
    services: Sequence[Service] = (),
) -> Pipeline:
    """Run the live pipeline (and `services`, e.g. the API) until `stop` is set; return it.

    Raises:
        Exception: whatever a service raised (e.g. OSError: the API port is taken); the
            pipeline is stopped and committed first.
    """
    pipeline = build_pipeline(settings, clock)
    watcher = FileWatcher()
    await watcher.start()
    closers = AsyncExitStack()  # engine clients of container sources, closed after the pipeline
    discovery = _FileDiscovery(pipeline, watcher, clock, stop)
    rescans = discovery.rescans
    cursors = {
        container_id: LogCursor(stored.timestamp_ns, stored.count)
        for container_id, stored in pipeline.store.container_cursors().items()
    }
    for setting in settings.sources:
        if isinstance(setting, FileSourceSettings):
            discovery.start_new(setting, initial=True)
            rescans.append(asyncio.create_task(discovery.rescan(setting, stop)))
        else:
            pipeline.add_source(await _network_source(setting, clock, cursors, closers))
    for source in extra_sources or []:
        pipeline.add_source(source)
    if extra_sources and not settings.sources:  # only finite sources (stdin): stop at their end
        ended = asyncio.create_task(pipeline.wait_sources())
        ended.add_done_callback(lambda _: stop.set())
        rescans.append(ended)
    if on_ready is not None:
        on_ready(pipeline)
    running = [asyncio.ensure_future(service(pipeline, discovery, stop)) for service in services]

    def stop_on_failure(done: asyncio.Future[None]) -> None:
        if not done.cancelled() and done.exception() is not None:
            stop.set()  # a service that fails (port taken) stops everything

    for task in running:
        task.add_done_callback(stop_on_failure)
    try:
        await pipeline.run(stop)
        for task in running:
            await task
    finally:
        for task in running:
            task.cancel()
        for task in rescans:
            task.cancel()
        await watcher.close()
        await closers.aclose()
        pipeline.store.engine.dispose()
    return pipeline
