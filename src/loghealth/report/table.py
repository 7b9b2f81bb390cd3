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
    return value.replace("T", " ").replace("Z", "")[:16] if value else "–"


def _seen(finding: dict[str, Any]) -> str:
    first, last = _when(finding["first_seen"]), _when(finding["last_seen"])
    if first == last:
        return first
    if first[:10] == last[:10]:
        return f"{first} → {last[11:]}"
    return f"{first} →\n{last}"


def _findings_table(findings: list[dict[str, Any]]) -> Table:
    table = Table(title="Findings", expand=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Finding", ratio=1)
    table.add_column("Count", justify="right", no_wrap=True)
    table.add_column("Seen (UTC)", no_wrap=True)
    for finding in findings:
        table.add_row(
            Text(finding["severity"], style=_SEVERITY_STYLE[finding["severity"]]),
            Text.assemble(
                (finding["title"], "bold"),
                "\n",
                (f"{finding['category']} · {finding['area']}", "dim"),
            ),
            str(finding["count"]),
            _seen(finding),
        )
    return table


def _finding_panel(finding: dict[str, Any]) -> Panel:
    body = [
        Text.assemble(("Id:     ", "bold"), f"{finding['signature_id']} ({finding['pack']} pack)"),
        Text.assemble(
            ("Source: ", "bold"), f"{finding['source']}:{finding.get('sample_line', '')}"
        ),
        Text.assemble(("Sample: ", "bold"), (finding["sample"], "dim")),
        Text.assemble(("Cause:  ", "bold"), finding["cause"] or "–"),
        Text.assemble(("Fix:    ", "bold"), finding["fix"] or "–"),
    ]
    if finding["docs_url"]:
        body.append(Text.assemble(("Docs:   ", "bold"), (finding["docs_url"], "underline blue")))
    return Panel(
        Group(*body),
        title=finding["title"],
        title_align="left",
        border_style=_SEVERITY_STYLE[finding["severity"]].split()[-1],
    )


def render_table(document: dict[str, Any], console: Console) -> None:
    """Print a scan document (see `scan_document`) for a human at a terminal."""
    findings = document["findings"]
    if findings:
        console.print(_findings_table(findings))
        for finding in findings:
            console.print(_finding_panel(finding))
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
