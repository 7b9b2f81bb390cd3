"""Reports: render a scan result as JSON, Markdown or a Rich table."""

from loghealth.report.document import scan_document
from loghealth.report.markdown import render_markdown
from loghealth.report.table import render_table

__all__ = ["render_markdown", "render_table", "scan_document"]
