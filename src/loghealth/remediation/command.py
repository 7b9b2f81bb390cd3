"""Remediation: the `command` action — run a program with an argv list, never through a shell.

The program gets a fixed environment (the configured `env`, the server variables named in
`pass_env`, and `LOGHEALTH_*` variables describing the finding), no stdin, a timeout after which
its whole process group is killed, and its stdout+stderr captured up to `max_output_bytes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import time
from collections.abc import Mapping
from typing import Any

from loghealth.remediation.base import MASK, ActionContext, ActionResult, OutputBuffer, RunStatus
from loghealth.settings import CommandActionSettings

__all__ = ["CommandAction"]

_READ_BYTES = 65_536
_EOF_GRACE_SECS = 1.0


class CommandAction:
    """Runs `argv` as a child process in its own session (so a timeout kills its children too).

    Args:
        name: the action's name in `remediation.actions`.
        settings: argv, env, pass_env, cwd, timeout_secs, max_output_bytes, cooldown_secs.
        environ: where `pass_env` names are looked up (default: the server's `os.environ`,
            read at each run).
    """

    type = "command"

    def __init__(
        self, name: str, settings: CommandActionSettings, environ: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.settings = settings
        self.cooldown_secs = settings.cooldown_secs
        self._environ = environ

    def environment(self, context: ActionContext) -> dict[str, str]:
        """The child's whole environment: passed-through names, then `env`, then `LOGHEALTH_*`."""
        environ = os.environ if self._environ is None else self._environ
        env = {name: environ[name] for name in self.settings.pass_env if name in environ}
        env.update({key: value.get_secret_value() for key, value in self.settings.env.items()})
        env.update(context.environment())
        return env

    def describe(self) -> dict[str, Any]:
        """Settings without secrets: `env` values read as `MASK`."""
        described = self.settings.model_dump(mode="json")
        described["env"] = dict.fromkeys(self.settings.env, MASK)
        return described

    def preview(self, context: ActionContext) -> str:
        """`would run: <argv as a shell-quoted line>` (it is never run through a shell)."""
        return f"would run: {shlex.join(self.settings.argv)}"

    async def run(self, context: ActionContext) -> ActionResult:
        """Start the program, capture its output and wait for it (at most `timeout_secs`).

        Exit 0 is `succeeded`, any other exit `failed`, a timeout `timed_out` (the process group
        got SIGKILL), a program that cannot start `error`. If the caller is cancelled, the
        process group is killed before the cancellation goes on.
        """
        settings = self.settings
        started = time.monotonic()
        try:
            process = await asyncio.create_subprocess_exec(
                *settings.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=self.environment(context),
                cwd=settings.cwd,
                start_new_session=True,
            )
        except OSError as error:
            return ActionResult(
                RunStatus.ERROR,
                duration_secs=time.monotonic() - started,
                error=f"cannot start {settings.argv[0]}: {error.strerror or error}",
            )
        output = OutputBuffer(settings.max_output_bytes)
        try:
            async with asyncio.timeout(settings.timeout_secs):
                await _drain(process, output)
                code = await process.wait()
        except TimeoutError:
            code = await _kill_and_reap(process, output)
            return ActionResult(
                RunStatus.TIMED_OUT,
                exit_code=code,
                output=output.text(),
                duration_secs=time.monotonic() - started,
                error=f"killed after the timeout of {settings.timeout_secs:g} s",
            )
        except asyncio.CancelledError:  # do not leave the program running
            await _kill_and_reap(process, output)
            raise
        status = RunStatus.SUCCEEDED if code == 0 else RunStatus.FAILED
        return ActionResult(
            status,
            exit_code=code,
            output=output.text(),
            duration_secs=time.monotonic() - started,
            error=None if code == 0 else f"exited with {code}",
        )


async def _drain(process: asyncio.subprocess.Process, output: OutputBuffer) -> None:
    """Read stdout (stderr is merged into it) to its end, keeping what fits in `output`."""
    stream = process.stdout
    if stream is None:  # not with stdout=PIPE; kept for the type checker
        return
    while chunk := await stream.read(_READ_BYTES):
        output.feed(chunk)


async def _kill_and_reap(process: asyncio.subprocess.Process, output: OutputBuffer) -> int:
    """Kill the process group, wait for its exit and read the pipe to its end.

    Reaching the end lets asyncio close the pipe; a child that left the group may hold it
    open, so reading stops after `_EOF_GRACE_SECS`.
    """
    _kill_group(process)
    code = await process.wait()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_EOF_GRACE_SECS):
            await _drain(process, output)
    return code


def _kill_group(process: asyncio.subprocess.Process) -> None:
    """SIGKILL the process and its session's group (its children); gone already is fine.

    Not `process.kill()` as well: it polls (waitpid) first and could reap the child before
    asyncio's child watcher does, which then reports exit code 255.
    """
    try:
        os.killpg(process.pid, signal.SIGKILL)  # start_new_session: the group id is the pid
    except ProcessLookupError:
        return
    except PermissionError:  # the program changed its group (setpgid): kill it alone
        with contextlib.suppress(ProcessLookupError):
            process.kill()
