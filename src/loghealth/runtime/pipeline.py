"""Runtime: the live pipeline — sources → framing → engine → gates → store → event bus.

Sources put lines on one bounded queue (back-pressure). Records are framed per source, matched,
gated (threshold, cooldown, rate limit) and accumulated into a batch that one writer commits in a
single transaction together with the checkpoints of the lines it covers (file offsets, container
log cursors) — so a restart resumes after the last committed record: no line lost, none counted
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from loghealth.clock import Clock
from loghealth.engine import Engine, Redactor
from loghealth.engine.aggregate import SAMPLE_MAX_CHARS
from loghealth.engine.live import HitGate, RateLimit
from loghealth.model import Hit, LogRecord
from loghealth.parsing import Framer, ParseContext, create_parser, detect_format
from loghealth.rules.loader import Signature
from loghealth.runtime.bus import EventBus
from loghealth.runtime.reload import RuleReloader
from loghealth.sources.base import Position, Source, SourceLine, SourceStats
from loghealth.sources.docker import ContainerLine
from loghealth.store.remediation import PauseSwitch, RemediationStore
from loghealth.store.repository import (
    Batch,
    CheckpointData,
    ContainerCursorData,
    FindingDelta,
    FindingEvent,
    SourceSnapshot,
    Store,
    fingerprint,
)

__all__ = ["Pipeline", "PipelineOptions"]

_After = tuple[Position | None, int, ContainerLine | None]
"""Where a stream stands after a line: file position, line number, and the container line (its
`cursor` is the container's position after it) — what a batch checkpoints with a record."""


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """Tuning of the live pipeline (seconds unless the name says otherwise)."""

    tz: tzinfo
    format: str | None = None
    detect_lines: int = 16
    idle_flush_secs: float = 0.01
    batch_secs: float = 0.01
    batch_max_hits: int = 2000
    stats_secs: float = 1.0
    auto_resolve_after_secs: int = 86_400
    sweep_secs: float = 30.0
    queue_size: int = 10_000
    rate_limit: RateLimit = field(default_factory=RateLimit)


@dataclass(slots=True)
class _Stream:
    source_id: str
    kind: str
    ctx: ParseContext
    first_line: int
    framer: Framer | None = None
    format: str | None = None
    pending: list[SourceLine] = field(default_factory=list)
    last_line_mono: float = 0.0
    after_last: _After = (None, 0, None)
    records: int = 0
    unparsed: int = 0
    hits: int = 0
    last_record_at: object = None
    last_snapshot: SourceSnapshot | None = None


class Pipeline:
    """Runs sources into the store until `stop` is set; `bus` gets events after each commit."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        clock: Clock,
        options: PipelineOptions,
        bus: EventBus | None = None,
        reloader: RuleReloader | None = None,
    ) -> None:
        self.engine = engine
        self.source_engines: dict[str, Engine] = {}  # sources with stored rules of their own
        self.store = store
        self.clock = clock
        self.options = options
        self.bus = bus or EventBus()
        # shared with the API under serve: a pause set through it stops the next automatic run
        self.remediation_pause = PauseSwitch(RemediationStore(store.engine))
        self.reloader = reloader
        self.gate = HitGate(rate_limit=options.rate_limit)
        self.sources: dict[str, Source] = {}
        self._streams: dict[str, _Stream] = {}
        self._checkpoints = store.checkpoints()
        self._batch = Batch()
        self._batch_hits = 0
        self._batch_started = 0.0
        self._queue: asyncio.Queue[SourceLine] = asyncio.Queue(maxsize=options.queue_size)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.committed_batches = 0
        self._commit_lock = asyncio.Lock()
        self._dirty: set[str] = set()  # streams with pending lines or an open record
        self._wake = asyncio.Event()
        for signature_id, source_id in store.finding_keys():
            self.gate.mark_met(signature_id, source_id)

    def add_source(self, source: Source) -> None:
        """Start a source (it may be added while running)."""
        self.sources[source.id] = source
        self._tasks[source.id] = asyncio.create_task(source.run(self._queue.put), name=source.id)

    def remove_source(self, source_id: str) -> bool:
        """Stop a running source (its committed counters and findings stay); False if unknown."""
        source = self.sources.pop(source_id, None)
        task = self._tasks.pop(source_id, None)
        if task is not None:
            task.cancel()
        return source is not None

    def feed_records(self, source_id: str, kind: str, records: Sequence[LogRecord]) -> int:
        """Match already-parsed records of a pushing source (e.g. `client:<id>`, kind `http_push`).

        They go through the same engine and gates as framed lines and are committed with the
        next batch (no checkpoint: the pusher owns delivery). Returns the records taken.
        """
        stream = self._streams.get(source_id)
        if stream is None:
            ctx = ParseContext(tz=self.options.tz, now=self.clock.now(), source=source_id)
            stream = self._streams[source_id] = _Stream(source_id, kind, ctx, first_line=1)
            stream.format = "pushed"
        for record in records:
            self._on_record(stream, record, (None, 0, None))
        if records:
            self._wake.set()
        return len(records)

    async def wait_sources(self) -> None:
        """Return when every source started so far has ended (e.g. stdin reached EOF)."""
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume lines until `stop` is set, then drain, flush and commit."""
        ticker = asyncio.create_task(self._tick(stop))
        try:
            while not stop.is_set():
                getter = asyncio.ensure_future(self._queue.get())
                stopper = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if getter in done:
                    self._on_line(getter.result())
                    while not self._queue.empty():
                        self._on_line(self._queue.get_nowait())
                else:
                    getter.cancel()
                if self._batch_due():
                    await self._commit()
        finally:
            ticker.cancel()
            for task in self._tasks.values():
                task.cancel()
            for task in self._tasks.values():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            while not self._queue.empty():
                self._on_line(self._queue.get_nowait())
            self._flush_idle(force=True)
            await self._commit(with_stats=True)

    # ---- framing ------------------------------------------------------------------------------
    def _stream(self, line: SourceLine) -> _Stream:
        stream = self._streams.get(line.source_id)
        if stream is None:
            checkpoint = self._checkpoints.get(line.source_id)
            source = self.sources.get(line.source_id)
            ctx = ParseContext(tz=self.options.tz, now=self.clock.now(), source=line.source_id)
            stream = _Stream(
                line.source_id,
                source.kind if source else line.source_id.split(":", 1)[0],
                ctx,
                first_line=(checkpoint.line_no + 1) if checkpoint else 1,
            )
            self._streams[line.source_id] = stream
        return stream

    def _start_framer(self, stream: _Stream) -> None:
        hint = stream.pending[0].format_hint if stream.pending else None
        name = (
            self.options.format
            or hint
            or detect_format([line.text for line in stream.pending], stream.ctx).format
        )
        fallback = create_parser("generic") if name != "generic" else None
        stream.format = name
        stream.framer = Framer(create_parser(name), stream.ctx, fallback, stream.first_line)
        pending, stream.pending = stream.pending, []
        for line in pending:
            self._push(stream, line)

    def _on_line(self, line: SourceLine) -> None:
        stream = self._stream(line)
        stream.last_line_mono = time.monotonic()
        self._dirty.add(stream.source_id)
        self._wake.set()
        if stream.framer is None:
            stream.pending.append(line)
            if len(stream.pending) >= self.options.detect_lines:
                self._start_framer(stream)
            return
        self._push(stream, line)

    def _push(self, stream: _Stream, line: SourceLine) -> None:
        assert stream.framer is not None  # noqa: S101 - set by _start_framer
        before = stream.after_last
        record = stream.framer.push(line.text)
        container_line = line if isinstance(line, ContainerLine) else None
        stream.after_last = (line.position, stream.framer.line_no, container_line)
        if record is not None:
            self._on_record(stream, record, before)

    def _flush_idle(self, force: bool = False) -> None:
        now = time.monotonic()
        for source_id in list(self._streams if force else self._dirty):
            stream = self._streams[source_id]
            if not force and now - stream.last_line_mono < self.options.idle_flush_secs:
                continue
            self._dirty.discard(source_id)
            if stream.framer is None and stream.pending:
                self._start_framer(stream)
            if stream.framer is not None and stream.framer.has_open_record:
                record = stream.framer.flush()
                if record is not None:
                    self._on_record(stream, record, stream.after_last)

    # ---- engine -------------------------------------------------------------------------------
    def _on_record(self, stream: _Stream, record: LogRecord, safe: _After) -> None:
        stream.records += 1
        stream.unparsed += record.is_unparsed
        if record.timestamp is not None:
            stream.last_record_at = record.timestamp
        engine = self.source_engines.get(stream.source_id, self.engine)
        hit = engine.matcher.match(record)
        if engine.matcher.timeouts:  # a user rule's search ran out of time: a drop, by reason
            self.gate.drops["search_timeout"] += engine.matcher.take_timeouts().total()
        if hit is not None:
            signature = engine.catalog.get(hit.signature_id)
            if signature is not None:
                for counted in self.gate.admit(hit, signature, self.clock.now()):
                    self._add_hit(counted, signature, engine.redactor)
                    stream.hits += 1
        position, line_no, container_line = safe
        if position is not None:
            self._batch.checkpoints[stream.source_id] = CheckpointData(
                position.path, position.device, position.inode, position.offset, line_no
            )
        if container_line is not None and container_line.cursor is not None:
            cursor = container_line.cursor
            self._batch.container_cursors[container_line.container_id] = ContainerCursorData(
                container_line.source_id.removeprefix("docker:"), cursor.timestamp_ns, cursor.count
            )
        if not self._batch_started:
            self._batch_started = time.monotonic()

    def _add_hit(self, hit: Hit, signature: Signature, redactor: Redactor) -> None:
        record = hit.record
        key = fingerprint(hit.signature_id, record.source)
        delta = self._batch.deltas.get(key)
        if delta is None:
            spec = signature.spec
            delta = self._batch.deltas[key] = FindingDelta(
                hit.signature_id,
                signature.pack,
                spec.severity,
                spec.category,
                spec.area,
                record.source,
            )
        sample = redactor.redact(record.message.split("\n", 1)[0][:SAMPLE_MAX_CHARS])
        delta.count += 1
        seen = record.timestamp
        if seen is not None:
            delta.first_seen = min(delta.first_seen or seen, seen)
        if seen is None or delta.last_seen is None or seen >= delta.last_seen:
            delta.last_seen = seen or delta.last_seen
            delta.sample, delta.sample_line = sample, record.line
        delta.hits.append((seen, record.line, sample))
        self._batch_hits += 1

    # ---- writer -------------------------------------------------------------------------------
    def _batch_due(self) -> bool:
        if not self._batch:
            return False
        # Hits are committed fast (latency); checkpoints and counters alone can wait a while.
        wait = self.options.batch_secs if self._batch.deltas else self.options.stats_secs
        return (
            self._batch_hits >= self.options.batch_max_hits
            or time.monotonic() - self._batch_started >= wait
        )

    def _snapshot(self) -> None:
        """Queue the counters of every source whose counters changed since the last snapshot."""
        gate_drops = {f"hit_{reason}": count for reason, count in self.gate.drops.items()}
        for stream in self._streams.values():
            source = self.sources.get(stream.source_id)
            stats = source.stats if source is not None else SourceStats()
            snapshot = SourceSnapshot(
                kind=stream.kind,
                format=stream.format,
                state=str(stats.state),
                records_read=stream.records,
                lines_read=stats.lines_read,
                unparsed_lines=stream.unparsed,
                bytes_read=stats.bytes_read,
                hits=stream.hits,
                drops={**stats.drops, **gate_drops},
                last_record_at=stream.last_record_at,  # type: ignore[arg-type]
                error=stats.error,
            )
            if snapshot != stream.last_snapshot:
                self._batch.sources[stream.source_id] = snapshot
                stream.last_snapshot = snapshot

    async def _commit(self, with_stats: bool = False) -> None:
        async with self._commit_lock:  # one writer: batches (and checkpoints) land in order
            if with_stats:
                self._snapshot()
            if not self._batch:
                return
            batch, self._batch = self._batch, Batch()
            self._batch_hits, self._batch_started = 0, 0.0
            events: list[FindingEvent] = await asyncio.to_thread(
                self.store.commit, batch, self.clock.now()
            )
            self.committed_batches += 1
            self.bus.publish(events)

    async def _maybe_reload(self) -> None:
        if self.reloader is None or not self.reloader.changed():
            return
        engine = await asyncio.to_thread(self.reloader.rebuild)
        if engine is not None:
            self.engine = engine  # one assignment: records after this line use the new rules

    async def _tick(self, stop: asyncio.Event) -> None:
        last_stats = last_sweep = time.monotonic()
        while not stop.is_set():
            if self._dirty or self._batch:
                await asyncio.sleep(self.options.idle_flush_secs / 2)
            else:  # nothing pending: sleep until a line arrives (or stats are due)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.options.stats_secs):
                        await self._wake.wait()
            self._flush_idle()
            now = time.monotonic()
            if now - last_stats >= self.options.stats_secs:
                self._snapshot()
                last_stats = now
                await self._maybe_reload()
            if now - last_sweep >= self.options.sweep_secs:
                last_sweep = now
                events = await asyncio.to_thread(
                    self.store.auto_resolve, self.clock.now(), self.options.auto_resolve_after_secs
                )
                self.bus.publish(events)
            if self._batch_due():
                await self._commit()
