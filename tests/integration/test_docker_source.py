"""Container source: the Docker stream decoder on crafted bytes, then tails and discovery against
a real engine (podman's Docker API service from ../shared/tools/container-engine.sh)."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loghealth.clock import SystemClock
from loghealth.runtime.pipeline import Pipeline
from loghealth.runtime.serve import run_serve
from loghealth.settings import DockerSourceSettings, Settings
from loghealth.sources._docker_stream import (
    MAX_FRAME_BYTES,
    ContainerStream,
    DockerStreamError,
    LogDemuxer,
    RawLine,
    parse_timestamp,
)
from loghealth.sources.base import SourceState
from loghealth.sources.docker import (
    ContainerDiscovery,
    ContainerInfo,
    ContainerLine,
    ContainerSource,
    DockerClient,
    DockerError,
    DockerNotFoundError,
    LogCursor,
    socket_path_from_host,
)
from loghealth.store.migrate import create_store_engine
from loghealth.store.repository import Store
from tests.rules import BOOM_RULES

from .conftest import Collector, Engine, run, wait_until

OUT, ERR = ContainerStream.STDOUT, ContainerStream.STDERR
TS = b"2024-05-01T10:00:00.123456789Z "


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxI", stream, len(payload)) + payload


def feed_in_pieces(demuxer: LogDemuxer, data: bytes, size: int) -> list[RawLine]:
    lines = [raw for i in range(0, len(data), size) for raw in demuxer.feed(data[i : i + size])]
    return lines + demuxer.flush()


# --- the stream decoder (no engine needed) -----------------------------------------------------


def test_timestamp_prefix_is_validated_and_parsed() -> None:
    unix_ns, received_at, length = parse_timestamp(TS + b"hello") or (0, None, 0)
    assert received_at == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert unix_ns % 1_000_000_000 == 123456789
    assert length == len(TS)
    shifted = parse_timestamp(b"2024-05-01T12:00:00+02:00 x")
    assert shifted is not None and shifted[1] == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_timestamp(b"2024-02-30T10:00:00Z not a date") is None
    assert parse_timestamp(b"2024-05-01T10:00:00Zno-space") is None
    assert parse_timestamp(b"hello 2024-05-01T10:00:00Z ") is None


def test_frames_are_demultiplexed_across_every_chunk_boundary() -> None:
    # A stdout line split over three frames (the engine splits long lines, each part stamped),
    # interleaved with a stderr frame holding two lines, then a CRLF line and a final partial line.
    stream = (
        frame(1, TS + b"first half ")
        + frame(2, TS + b"err one\n" + TS + b"err two\n")
        + frame(1, TS + b"second half ")
        + frame(1, TS + b"end\n" + TS + b"crlf\r\n")
        + frame(2, TS + b"no newline at end")
    )
    expected = [
        (ERR, "err one"),
        (ERR, "err two"),
        (OUT, "first half second half end"),
        (OUT, "crlf"),
        (ERR, "no newline at end"),
    ]
    for size in (1, 2, 3, 7, 8, 9, 64, len(stream)):
        demuxer = LogDemuxer(is_tty=False, has_timestamps=True, max_line_bytes=1024)
        lines = feed_in_pieces(demuxer, stream, size)
        assert [(raw.stream, raw.data.decode()) for raw in lines] == expected, size
        assert all(raw.received_at is not None and not raw.is_truncated for raw in lines)


def test_tty_stream_is_raw_and_lines_keep_no_cr() -> None:
    raw_stream = TS + b"one\r\n" + TS + b"two\r\n" + b"unstamped\r\n"
    demuxer = LogDemuxer(is_tty=True, has_timestamps=True, max_line_bytes=1024)
    lines = feed_in_pieces(demuxer, raw_stream, 5)
    assert [(raw.stream, raw.data) for raw in lines] == [
        (OUT, b"one"),
        (OUT, b"two"),
        (OUT, b"unstamped"),
    ]
    assert lines[2].received_at is None  # no valid prefix: kept as written


def test_tty_line_end_logged_as_a_message_of_its_own_is_dropped() -> None:
    # podman 4.3 under load: "tty-2" and its "\r\n" read from the terminal apart, each logged
    # with its own timestamp
    raw_stream = TS + b"one\r\n" + TS + b"tty-2" + TS + b"\r\n" + TS + b"three\r\n"
    for size in (1, 3, 7, len(raw_stream)):
        demuxer = LogDemuxer(is_tty=True, has_timestamps=True, max_line_bytes=1024)
        lines = feed_in_pieces(demuxer, raw_stream, size)
        assert [raw.data for raw in lines] == [b"one", b"tty-2", b"three"], size


def test_long_lines_are_truncated_on_a_utf8_boundary() -> None:
    demuxer = LogDemuxer(is_tty=False, has_timestamps=True, max_line_bytes=10)
    lines = demuxer.feed(frame(1, TS + "ééééééé\n".encode() + TS + b"ok\n"))
    assert lines[0].data.decode() == "ééééé" and lines[0].is_truncated
    assert lines[1].data == b"ok" and not lines[1].is_truncated


def test_oversized_frames_are_skipped_and_bad_headers_refused() -> None:
    demuxer = LogDemuxer(is_tty=False, has_timestamps=False, max_line_bytes=1024)
    huge = struct.pack(">BxxxI", 1, MAX_FRAME_BYTES + 1)
    lines = (
        demuxer.feed(huge)
        + demuxer.feed(b"x" * (MAX_FRAME_BYTES + 1))
        + demuxer.feed(frame(1, b"after\n"))
    )
    assert [raw.data for raw in lines] == [b"after"]
    assert demuxer.take_drops() == {"frame_too_large": 1}
    with pytest.raises(DockerStreamError):
        LogDemuxer(is_tty=False, has_timestamps=False, max_line_bytes=9).feed(b"hello world\n")


def test_cursor_counts_lines_sharing_a_timestamp() -> None:
    cursor = LogCursor.starting_at(datetime(2024, 5, 1, 10, 0, 0, 900_000, tzinfo=UTC))
    assert cursor.timestamp_ns % 1_000_000_000 == 0  # floored to the second
    second = cursor.timestamp_ns
    assert cursor.advanced(second).advanced(second) == LogCursor(second, 2)
    assert cursor.advanced(second + 1).advanced(second) == LogCursor(second + 1, 1)


def test_docker_host_must_be_a_unix_socket() -> None:
    assert socket_path_from_host(None) == "/var/run/docker.sock"
    assert socket_path_from_host("unix:///run/podman/podman.sock") == "/run/podman/podman.sock"
    with pytest.raises(ValueError, match="unix://"):
        socket_path_from_host("tcp://127.0.0.1:2375")


# --- against the real engine -------------------------------------------------------------------


async def tail_to_end(engine: Engine, name: str, container_id: str, **options: Any) -> Any:
    collector = Collector()
    async with DockerClient(engine.socket_path) as client:
        source = ContainerSource(client, ContainerInfo(container_id, name), **options)
        await asyncio.wait_for(source.run(collector.sink), 30)
    return source, collector


@pytest.mark.docker
def test_stdout_and_stderr_arrive_with_stream_and_timestamp(container_engine: Engine) -> None:
    name = container_engine.name("stdio")
    before = SystemClock().now()
    cid = container_engine.run(name, "echo out-1; echo err-1 >&2; echo out-2; echo 'err-2 é' >&2")
    try:
        source, collector = asyncio.run(tail_to_end(container_engine, name, cid))
        after = SystemClock().now()
        lines = collector.lines
        assert all(isinstance(line, ContainerLine) for line in lines)
        by_stream = {s: [ln.text for ln in lines if ln.stream is s] for s in (OUT, ERR)}
        assert by_stream == {OUT: ["out-1", "out-2"], ERR: ["err-1", "err-2 é"]}
        assert {line.source_id for line in lines} == {f"docker:{name}"}
        for line in lines:
            assert line.received_at is not None and line.received_at.utcoffset() == timedelta(0)
            assert before - timedelta(seconds=1) <= line.received_at <= after
        assert source.stats.state is SourceState.STOPPED
        assert source.stats.lines_read == 4 and source.stats.bytes_read > 0
        assert source.stats.last_line_at is not None and not source.stats.drops
    finally:
        container_engine.remove(name)


@pytest.mark.docker
@pytest.mark.parametrize("stream", [OUT, ERR])
def test_one_stream_can_be_selected(container_engine: Engine, stream: ContainerStream) -> None:
    name = container_engine.name(f"only-{stream}")
    cid = container_engine.run(name, "echo out; echo err >&2; echo out2")
    try:
        _, collector = asyncio.run(tail_to_end(container_engine, name, cid, streams={stream}))
        expected = ["out", "out2"] if stream is OUT else ["err"]
        assert [line.text for line in collector.lines] == expected
    finally:
        container_engine.remove(name)


@pytest.mark.docker
def test_tty_container_is_read_as_a_raw_stream(container_engine: Engine) -> None:
    name = container_engine.name("tty")
    cid = container_engine.run(name, "echo tty-1; echo tty-2 >&2; echo tty-3", tty=True)
    try:
        _, collector = asyncio.run(tail_to_end(container_engine, name, cid))
        assert [line.text for line in collector.lines] == ["tty-1", "tty-2", "tty-3"]
        assert all(line.received_at is not None for line in collector.lines)
    finally:
        container_engine.remove(name)


LONG_LINE = 'i=0; s=""; while [ $i -lt 2000 ]; do s="${s}abcdefghij"; i=$((i+1)); done; echo "$s"'


@pytest.mark.docker
def test_long_line_split_by_the_engine_is_reassembled_or_capped(container_engine: Engine) -> None:
    name = container_engine.name("long")
    cid = container_engine.run(name, f"{LONG_LINE}; echo short")
    try:
        _, whole = asyncio.run(tail_to_end(container_engine, name, cid))
        assert [len(line.text) for line in whole.lines] == [20_000, 5]  # podman: 8 KiB frames
        assert whole.lines[0].text == "abcdefghij" * 2000
        source, capped = asyncio.run(tail_to_end(container_engine, name, cid, max_line_bytes=1000))
        assert [line.text for line in capped.lines] == ["abcdefghij" * 100, "short"]
        assert source.stats.drops == {"line_too_long": 1}
    finally:
        container_engine.remove(name)


@pytest.mark.docker
@pytest.mark.slow
def test_a_restarted_tail_resumes_without_duplicates(container_engine: Engine) -> None:
    name = container_engine.name("resume")
    cid = container_engine.run(name, "for i in 1 2 3 4 5; do echo line-$i; done")
    try:
        first, collected = asyncio.run(tail_to_end(container_engine, name, cid))
        assert [line.text for line in collected.lines] == [f"line-{i}" for i in range(1, 6)]
        cursor = first.cursor
        _, again = asyncio.run(tail_to_end(container_engine, name, cid, cursor=cursor))
        assert again.lines == []  # nothing new since the cursor
        container_engine.podman("start", "--attach", name)  # a second run, same container
        _, resumed = asyncio.run(tail_to_end(container_engine, name, cid, cursor=cursor))
        assert [line.text for line in resumed.lines] == [f"line-{i}" for i in range(1, 6)]
    finally:
        container_engine.remove(name)


@pytest.mark.docker
def test_engine_errors_are_reported(container_engine: Engine, tmp_path: Any) -> None:
    async def scenario() -> None:
        async with DockerClient(container_engine.socket_path) as client:
            source = ContainerSource(client, ContainerInfo("no-such-container", "ghost"))
            with pytest.raises(DockerNotFoundError):
                await source.run(Collector().sink)
            assert source.stats.state is SourceState.ERROR and source.stats.error
        async with DockerClient(str(tmp_path / "absent.sock")) as client:
            with pytest.raises(DockerError):
                await client.list_running()
            discovery = ContainerDiscovery(client, interval_secs=0.05)
            task = asyncio.create_task(discovery.run(Collector().sink))
            await wait_until(lambda: discovery.stats.state is SourceState.ERROR)
            assert "absent.sock" in (discovery.stats.error or "")
            task.cancel()
            await asyncio.wait([task])
            assert discovery.stats.state is SourceState.STOPPED

    run(scenario())


@pytest.mark.docker
def test_a_failing_sink_is_raised_not_retried(container_engine: Engine) -> None:
    name = container_engine.name("sink-fails")

    async def failing_sink(line: Any) -> None:
        raise RuntimeError(f"sink broke on {line.text}")

    async def scenario() -> None:
        async with DockerClient(container_engine.socket_path) as client:
            discovery = ContainerDiscovery(client, interval_secs=0.1, names=[name])
            container_engine.run(name, "echo boom; exec sleep 1000")
            with pytest.raises(RuntimeError, match="sink broke on boom"):
                await discovery.run(failing_sink)
            assert discovery.tails == {} and discovery.stats.state is SourceState.STOPPED

    try:
        run(scenario())
    finally:
        container_engine.remove(name)


@pytest.mark.docker
@pytest.mark.slow
def test_discovery_follows_containers_as_they_come_go_and_restart(container_engine: Engine) -> None:
    engine = container_engine
    names = {role: engine.name(role) for role in ("early", "later", "short", "unlabelled", "skip")}
    ids: dict[str, str] = {}
    # Each run numbers itself (the counter survives restarts in the container's filesystem).
    burst = "n=$(($(cat /run-count 2>/dev/null || echo 0) + 1)); echo $n > /run-count; "
    burst += "for i in 1 2 3 4 5; do echo run$n-r-$i; done"

    async def scenario() -> None:
        collector = Collector()
        async with DockerClient(engine.socket_path) as client:
            discovery = ContainerDiscovery(
                client,
                interval_secs=0.2,
                labels=[engine.label],
                names=[engine.name("*")],
                exclude_names=["*-skip"],
                start_at=SystemClock().now(),
            )
            ids["early"] = engine.run(names["early"], f"{burst}; exec sleep 1000")
            ids["unlabelled"] = engine.run(
                names["unlabelled"], "echo nope; exec sleep 1000", labelled=False
            )
            ids["skip"] = engine.run(names["skip"], "echo excluded; exec sleep 1000")
            task = asyncio.create_task(discovery.run(collector.sink))
            early, later = f"docker:{names['early']}", f"docker:{names['later']}"
            await collector.wait_for(lambda: len(collector.texts(early)) == 5)

            # A container that starts after discovery, and one that stops by itself.
            ids["later"] = engine.run(names["later"], "echo later-1; exec sleep 1000")
            ids["short"] = engine.run(names["short"], "echo short-1; echo short-2 >&2; sleep 1")
            short = f"docker:{names['short']}"
            await collector.wait_for(
                lambda: collector.texts(later) == ["later-1"] and len(collector.texts(short)) == 2
            )
            await wait_until(lambda: ids["short"] not in discovery.tails)
            assert {line.stream for line in collector.lines if line.source_id == short} == {
                OUT,
                ERR,
            }

            # Stopped: its tail goes; started again: it resumes after the lines already read.
            engine.podman("stop", "-t", "0", names["early"])
            await wait_until(lambda: ids["early"] not in discovery.tails)
            engine.podman("start", names["early"])
            await collector.wait_for(lambda: len(collector.texts(early)) >= 10)
            # Restarted between two polls: the ended stream is noticed and resumed too.
            engine.podman("restart", "-t", "0", names["early"])
            await collector.wait_for(lambda: len(collector.texts(early)) >= 15)
            runs = [f"run{n}-r-{i}" for n in (1, 2, 3) for i in range(1, 6)]
            assert collector.texts(early) == runs

            task.cancel()
            await asyncio.wait([task])
            sources = {line.source_id for line in collector.lines}
            assert sources == {early, later, short}  # not the unlabelled nor the excluded one
            assert discovery.stats.state is SourceState.STOPPED and discovery.tails == {}
            assert discovery.stats.lines_read == len(collector.lines) == 15 + 1 + 2

    try:
        run(scenario())
    finally:
        engine.remove(*names.values())


@pytest.mark.docker
@pytest.mark.slow
def test_serve_resumes_a_container_after_a_restart_exactly_once(
    container_engine: Engine, tmp_path: Path
) -> None:
    """Stop serve while a container logs, restart it: every problem line counted exactly once."""
    name = container_engine.name("serve-resume")
    total = 60  # ten lines a second: podman's whole-second stamps give ten lines each stamp
    script = (
        f"i=0; while [ $i -lt {total} ]; do i=$((i+1)); "
        "printf '2024-05-01 10:%02d:%02d,000 ERROR app: BOOM %d\\n' $((i/60)) $((i%60)) $i; "
        "sleep 0.1; done; echo done; exec sleep 1000"
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(BOOM_RULES)
    settings = Settings(
        data_dir=tmp_path,
        rules=[rules],
        packs=[],
        format="python_logging",
        sources=[
            DockerSourceSettings(
                host=f"unix://{container_engine.socket_path}", names=[name], discover_secs=0.2
            )
        ],
    )
    store = Store(create_store_engine(settings.effective_database_url()))

    def booms() -> int:
        return sum(f.finding.count for f in store.findings() if f.finding.signature_id == "boom")

    async def serve_until(condition: Callable[[], bool], start: Callable[[], object]) -> None:
        ready: list[Pipeline] = []
        stop = asyncio.Event()
        task = asyncio.create_task(run_serve(settings, SystemClock(), stop, on_ready=ready.append))
        await wait_until(lambda: bool(ready))
        start()
        await wait_until(condition, timeout_secs=60)
        stop.set()
        await task

    def logs_done() -> bool:
        return container_engine.podman("logs", name).endswith("done")

    try:
        # First run: the container starts after serve; stop while it is still logging.
        run(serve_until(lambda: booms() >= 10, lambda: container_engine.run(name, script)))
        first = booms()
        assert 10 <= first < total
        assert len(store.container_cursors()) == 1
        # Down: the container logs the rest (and more than a second's worth) meanwhile.
        run(wait_until(logs_done, timeout_secs=60))
        # Second run: resumes after the last committed line; nothing lost, nothing twice.
        run(serve_until(lambda: booms() >= total, lambda: None))
        assert booms() == total
        [stored] = store.container_cursors().values()
        assert stored.name == name
    finally:
        store.engine.dispose()
        container_engine.remove(name)
