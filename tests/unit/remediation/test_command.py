"""The `command` action with real programs: output, exit codes, cap, timeout, environment."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from loghealth.remediation import ActionContext, OutputBuffer, RunStatus
from loghealth.remediation.command import CommandAction
from loghealth.settings import CommandActionSettings

PYTHON = sys.executable
CONTEXT = ActionContext(
    action="fix", event="opened", finding_id=7, signature_id="boom", source_id="file:/x.log",
    severity="error",
)  # fmt: skip


def action(argv: list[str], **settings: Any) -> CommandAction:
    return CommandAction("fix", CommandActionSettings(argv=argv, **settings))


def run(command: CommandAction, context: ActionContext = CONTEXT) -> Any:
    return asyncio.run(command.run(context))


def test_output_and_exit_status_are_reported() -> None:
    ok = run(action(["/bin/echo", "hello", "world"]))
    assert (ok.status, ok.exit_code, ok.output, ok.error) == (
        RunStatus.SUCCEEDED, 0, "hello world\n", None,
    )  # fmt: skip
    failing = run(
        action([PYTHON, "-c", "import sys; print('out'); sys.stderr.write('err\\n'); sys.exit(3)"])
    )
    assert failing.status is RunStatus.FAILED and failing.exit_code == 3
    assert "out" in failing.output and "err" in failing.output  # stderr is merged
    assert failing.error == "exited with 3"


def test_arguments_are_not_interpreted_by_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    result = run(action(["/bin/echo", f"; touch {marker}", "$(id)", "`id`"]))
    assert result.output == f"; touch {marker} $(id) `id`\n"
    assert not marker.exists()


def test_the_program_must_be_an_absolute_path() -> None:
    with pytest.raises(ValueError, match="absolute path"):
        CommandActionSettings(argv=["echo", "x"])


def test_a_program_that_cannot_start_is_an_error_not_an_exception(tmp_path: Path) -> None:
    missing = run(action([str(tmp_path / "no-such-program")]))
    assert missing.status is RunStatus.ERROR and missing.exit_code is None
    assert "cannot start" in (missing.error or "")
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\n")
    denied = run(action([str(script)]))
    assert denied.status is RunStatus.ERROR and "ermission" in (denied.error or "")


def test_output_is_capped_and_the_rest_is_drained() -> None:
    # 1 MB of output: far over the cap and over a pipe buffer (the child must not block)
    program = "import sys; sys.stdout.write('x' * 1_000_000); sys.stdout.flush(); print('END')"
    result = run(action([PYTHON, "-c", program], max_output_bytes=100))
    assert result.status is RunStatus.SUCCEEDED
    kept, note = result.output.split("\n", 1)
    assert kept == "x" * 100
    assert note == "… [output truncated: 1000004 bytes, first 100 kept]"


def test_output_buffer_cuts_at_the_byte_limit() -> None:
    buffer = OutputBuffer(5)
    for chunk in (b"ab", b"cdef", b"gh"):
        buffer.feed(chunk)
    assert buffer.total_bytes == 8 and buffer.is_truncated
    assert buffer.text().startswith("abcde\n")
    exact = OutputBuffer(3)
    exact.feed(b"abc")
    assert exact.text() == "abc" and not exact.is_truncated
    with pytest.raises(ValueError):
        OutputBuffer(0)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie is dead, waiting to be reaped


def test_timeout_kills_the_program_and_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    program = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen(['/bin/sleep', '60'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    result = run(action([PYTHON, "-c", program], timeout_secs=1.0))
    elapsed = time.monotonic() - started
    assert result.status is RunStatus.TIMED_OUT
    assert result.exit_code == -9 and result.output == "started\n"
    assert result.error == "killed after the timeout of 1 s"
    assert 1.0 <= elapsed < 10
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the program's child survived the timeout"


def test_cancelling_a_run_kills_the_program(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    program = (
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )

    async def main() -> int:
        task = asyncio.create_task(action([PYTHON, "-c", program], timeout_secs=60).run(CONTEXT))
        while not pid_file.exists() or not pid_file.read_text():
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return int(pid_file.read_text())

    pid = asyncio.run(main())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_environment_is_fixed_and_the_server_environment_does_not_leak(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SERVER_SECRET", "do-not-leak")
    monkeypatch.setenv("PASSED_ON", "yes")
    command = action(
        ["/usr/bin/env"], env={"APP_MODE": "repair"}, pass_env=["PASSED_ON", "NOT_SET_ANYWHERE"],
        cwd=tmp_path,
    )  # fmt: skip
    result = run(command)
    seen = dict(line.split("=", 1) for line in result.output.splitlines())
    assert seen == {
        "PASSED_ON": "yes",
        "APP_MODE": "repair",
        "LOGHEALTH_ACTION": "fix",
        "LOGHEALTH_EVENT": "opened",
        "LOGHEALTH_FINDING_ID": "7",
        "LOGHEALTH_SIGNATURE_ID": "boom",
        "LOGHEALTH_SOURCE_ID": "file:/x.log",
        "LOGHEALTH_SEVERITY": "error",
    }
    assert "SERVER_SECRET" not in result.output and "PATH" not in seen


def test_working_directory_is_the_configured_one(tmp_path: Path) -> None:
    result = run(action([PYTHON, "-c", "import os; print(os.getcwd())"], cwd=tmp_path))
    assert result.output.strip() == str(tmp_path)
    assert os.getcwd() != str(tmp_path)


def test_describe_masks_environment_values_and_preview_quotes_argv() -> None:
    command = action(["/usr/bin/systemctl", "restart", "my app"], env={"TOKEN": "s3cr3t-value"})
    described = command.describe()
    assert described["env"] == {"TOKEN": "**********"}
    assert "s3cr3t-value" not in repr(described)
    assert described["argv"] == ["/usr/bin/systemctl", "restart", "my app"]
    assert command.preview(CONTEXT) == "would run: /usr/bin/systemctl restart 'my app'"


@pytest.mark.parametrize("name", ["1BAD", "A-B", "x y", ""])
def test_environment_names_are_validated(name: str) -> None:
    with pytest.raises(ValueError, match="environment variable name"):
        CommandActionSettings(argv=["/bin/true"], env={name: "v"})
