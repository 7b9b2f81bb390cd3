"""The `loghealth` command's entry point (console script and `python -m loghealth`).

It imports the CLI with the cyclic collector paused (`gc_policy.collector_paused`): the modules
live as long as the command, and the collections their imports would start cost about 19 ms of
a one-line scan's start-up. So it imports only what that needs before.
"""

from __future__ import annotations

from loghealth.gc_policy import collector_paused

__all__ = ["main"]


def main() -> None:
    """Import the CLI, then run it (`cli.main.app`)."""
    with collector_paused():
        from loghealth.cli.main import app
    app()
