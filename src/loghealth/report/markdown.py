"""Reports: a Markdown report for pasting into a bug report or a CI summary."""

from __future__ import annotations

from typing import Any

__all__ = ["render_markdown"]


def _cell(text: Any) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def render_markdown(document: dict[str, Any]) -> str:
    """Render a scan document (see `scan_document`) as GitHub-flavoured Markdown."""
    health = document["health"]
    findings = document["findings"]
    lines = [
        "# loghealth scan",
        "",
        f"**Health:** {health['score']}/100 ({health['status']}) · "
        f"**Findings:** {len(findings)} · **Records:** {document['scanned_records']} "
        f"({document['unparsed_lines']} unparsed) · **Sources:** {len(document['sources'])}",
        "",
    ]
    if not findings:
        lines.append("No known problems found.")
    else:
        lines += [
            "| Severity | Category | Finding | Count | First seen | Last seen | Source |",
            "|---|---|---|---:|---|---|---|",
        ]
        lines += [
            f"| {f['severity']} | {f['category']} | {_cell(f['title'])} | {f['count']} | "
            f"{f['first_seen'] or '–'} | {f['last_seen'] or '–'} | `{_cell(f['source'])}` |"
            for f in findings
        ]
        for finding in findings:
            lines += [
                "",
                f"## {finding['title']} (`{finding['signature_id']}`)",
                "",
                f"- **Severity:** {finding['severity']} · **Category:** {finding['category']}"
                f" · **Area:** {finding['area']} · **Count:** {finding['count']}",
                f"- **Cause:** {finding['cause']}",
                f"- **Fix:** {finding['fix']}",
            ]
            if finding["docs_url"]:
                lines.append(f"- **Docs:** {finding['docs_url']}")
            lines += ["", "```", finding["sample"].replace("```", "'''"), "```"]
    lines += ["", "| Source | Format | Records | Unparsed | Health |", "|---|---|---:|---:|---|"]
    for source in document["sources"]:
        score = source["health"]
        lines.append(
            f"| `{_cell(source['path'])}` | {source['format']} | {source['records']} | "
            f"{source['unparsed_lines']} | {score['score'] if score else '–'} |"
        )
    if document["errors"]:
        lines += ["", "## Rule errors", ""] + [f"- {_cell(e)}" for e in document["errors"]]
    return "\n".join(lines) + "\n"
