"""stdin source: real pipes (os.pipe and a child process), a redirected regular file, a long line,
and cancellation while the pipe is idle."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

from loghealth.sources.base import SourceState
from loghealth.sources.stdin import StdinSource

from .conftest import Collector, run


def pipe() -> tuple[BinaryIO, int]:
    read_fd, write_fd = os.pipe()
    return open(read_fd, "rb", buffering=0), write_fd  # the source closes it


def test_lines_arrive_while_the_pipe_is_still_open() -> None:
    async def scenario() -> None:
        reader, write_fd = pipe()
        source = StdinSource(reader)
        collector = Collector()
        task = asyncio.create_task(source.run(collector.sink))
        try:
            chunks = [
                b"first line\nsecond ",
                b"half\r\ninvalid \xff\xfe utf-8\nno newline at the end",
            ]
            os.write(write_fd, chunks[0])
            await collector.wait_for(lambda: collector.texts() == ["first line"])
            assert source.stats.state is SourceState.RUNNING
            os.write(write_fd, chunks[1])
            await collector.wait_for(lambda: len(collector.lines) == 3)
        finally:
            os.close(write_fd)
        await asyncio.wait_for(task, 10)  # end of input ends the source
        assert collector.texts() == [
            "first line",
            "second half",
            "invalid \ufffd\ufffd utf-8",
            "no newline at the end",
        ]
        assert {line.source_id for line in collector.lines} == {"stdin"}
        assert source.stats.state is SourceState.STOPPED
        assert source.stats.lines_read == 4 and source.stats.bytes_read == sum(map(len, chunks))
        assert source.stats.last_line_at is not None
        assert reader.closed

    run(scenario())


def test_a_child_process_pipe_is_read_to_the_end() -> None:
    async def scenario() -> None:
        with subprocess.Popen(
            [sys.executable, "-c", "for i in range(20000): print(f'line {i}')"],
            stdout=subprocess.PIPE,
        ) as child:
            assert child.stdout is not None
            collector = Collector()
            await asyncio.wait_for(StdinSource(child.stdout).run(collector.sink), 30)
        assert child.returncode == 0
        assert collector.texts() == [f"line {i}" for i in range(20000)]

    run(scenario())


def test_a_regular_file_redirected_to_stdin(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(b"".join(b"record %d\n" % i for i in range(1000)) + "тест".encode())

    async def scenario() -> None:
        collector = Collector()
        with path.open("rb") as stream:
            await asyncio.wait_for(StdinSource(stream).run(collector.sink), 30)
        assert collector.texts()[-2:] == ["record 999", "тест"]
        assert len(collector.lines) == 1001

    run(scenario())


def test_long_lines_are_truncated_and_counted() -> None:
    async def scenario() -> None:
        reader, write_fd = pipe()
        source = StdinSource(reader, max_line_bytes=8)
        collector = Collector()
        task = asyncio.create_task(source.run(collector.sink))
        os.write(write_fd, b"short\n" + "ü".encode() * 50 + b"\nafter\n")
        os.close(write_fd)
        await asyncio.wait_for(task, 10)
        assert collector.texts() == ["short", "üüüü", "after"]
        assert source.stats.drops == {"line_too_long": 1}

    run(scenario())


def test_cancel_while_waiting_for_input_closes_the_pipe() -> None:
    async def scenario() -> None:
        reader, write_fd = pipe()
        source = StdinSource(reader)
        collector = Collector()
        task = asyncio.create_task(source.run(collector.sink))
        os.write(write_fd, b"only line\n")
        await collector.wait_for(lambda: len(collector.lines) == 1)
        task.cancel()
        await asyncio.wait([task])
        assert task.cancelled() and reader.closed
        assert source.stats.state is SourceState.STOPPED
        os.close(write_fd)

    run(scenario())
