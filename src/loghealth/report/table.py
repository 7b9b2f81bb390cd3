"""Reports: the default terminal report — a Rich table plus cause and fix per finding."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

__all__ = ["render_table"]

_SEVERITY_STYLE = {
    "critical": "bold white on red",
    "error": "bold red",
    "warning": "yellow",
    "info": "cyan",
}
_STATUS_STYLE = {
    "healthy": "bold green",
    "warning": "bold yellow",
    "degraded": "bold dark_orange",
    "critical": "bold red",
}


def _when(value: str | None) -> str:
    return value.replace("T", " ").replace("Z", "")[:19] if value else "–"


def render_table(document: dict[str, Any], console: Console) -> None:
    """Print a scan document (see `scan_document`) for a human at a terminal."""
    findings = document["findings"]
    if findings:
        table = Table(title="Findings", show_lines=False, expand=True)
        table.add_column("Severity", no_wrap=True)
        table.add_column("Finding", ratio=3)
        table.add_column("Count", justify="right")
        table.add_column("First seen (UTC)", no_wrap=True)
        table.add_column("Last seen (UTC)", no_wrap=True)
        table.add_column("Sample", ratio=4, overflow="fold")
        for finding in findings:
            table.add_row(
                Text(finding["severity"], style=_SEVERITY_STYLE[finding["severity"]]),
                Text.assemble(
                    (finding["title"], "bold"),
                    "\n",
                    (f"{finding['category']} · {finding['area']} · {finding['source']}", "dim"),
                ),
                str(finding["count"]),
                _when(finding["first_seen"]),
                _when(finding["last_seen"]),
                Text(finding["sample"], style="dim"),
            )
        console.print(table)
        for finding in findings:
            body = [
                Text.assemble(("Cause: ", "bold"), finding["cause"] or "–"),
                Text.assemble(("Fix:   ", "bold"), finding["fix"] or "–"),
            ]
            if finding["docs_url"]:
                body.append(
                    Text.assemble(("Docs:  ", "bold"), (finding["docs_url"], "underline blue"))
                )
            console.print(
                Panel(
                    Group(*body),
                    title=f"{finding['title']} [{finding['signature_id']}]",
                    title_align="left",
                    border_style=_SEVERITY_STYLE[finding["severity"]].split()[-1],
                )
            )
    else:
        console.print(Text("No known problems found.", style="bold green"))
    health = document["health"]
    by_category = ", ".join(f"{k} {v}" for k, v in document["summary"]["by_category"].items() if v)
    console.print(
        Text.assemble(
            ("Health ", "bold"),
            (f"{health['score']}/100 {health['status']}", _STATUS_STYLE[health["status"]]),
            f" · {len(findings)} finding(s)" + (f" ({by_category})" if by_category else ""),
            f" · {document['scanned_records']} records from {len(document['sources'])} source(s)",
            f" · {document['unparsed_lines']} unparsed line(s)",
        )
    )
    for error in document["errors"]:
        console.print(Text(f"rule error: {error}", style="red"))
