"""CLI: `loghealth catalog list|show|test|export` — browse the signatures, test them on a log."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from loghealth.cli.common import fail, timezone_option
from loghealth.clock import SystemClock
from loghealth.engine import Engine, Gate
from loghealth.engine.backends.dialect import Unsupported, to_multipattern
from loghealth.rules.loader import Catalog, CatalogError, available_packs, load_catalog
from loghealth.runtime import ScanOptions
from loghealth.runtime.scan import iter_source_records
from loghealth.sources import InputError, discover_inputs

__all__ = ["catalog_app"]

catalog_app = typer.Typer(
    help="Browse the signature catalog and test it against logs.", no_args_is_help=True
)
_EXAMPLES_PER_REASON = 3


def _load(packs: list[str] | None = None, rules: list[Path] | None = None) -> Catalog:
    try:
        catalog = load_catalog(packs, rules or ())
    except CatalogError as error:
        fail(str(error))
    for problem in catalog.errors:
        Console(stderr=True).print(f"[red]rule error:[/] {problem}", highlight=False)
    return catalog


@catalog_app.command("list")
def list_command(
    pack: Annotated[list[str] | None, typer.Option(help="Only these packs (repeatable).")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="table | json")] = "table",
    lang: Annotated[str, typer.Option(help="Language of the names.")] = "en",
) -> None:
    """List signatures: id, pack, severity, category, area and name."""
    catalog = _load(pack)
    rows = [
        {
            "id": s.id,
            "pack": s.pack,
            "severity": s.spec.severity.label,
            "category": str(s.spec.category),
            "area": str(s.spec.area),
            "name": catalog.text(s.id, lang).name,
        }
        for s in catalog.signatures
    ]
    if output == "json":
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} signatures in {len(catalog.packs)} packs")
    for column in ("id", "pack", "severity", "category", "area", "name"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row.values())
    Console().print(table)


@catalog_app.command("show")
def show_command(
    signature_id: Annotated[str, typer.Argument(help="A signature id, e.g. database-locked.")],
    lang: Annotated[str, typer.Option(help="Language of the text.")] = "en",
) -> None:
    """Show one signature: its text, patterns, gates, docs link and examples."""
    catalog = _load()
    signature = catalog.get(signature_id)
    if signature is None:
        fail(f"no signature {signature_id!r} (see `loghealth catalog list`)")
    spec = signature.spec
    text = catalog.text(signature_id, lang)
    console = Console()
    console.print(Text(f"{text.name}  [{spec.id}]", style="bold"))
    console.print(f"pack {signature.pack} · {spec.severity.label} · {spec.category} · {spec.area}")
    console.print(Text.assemble(("Cause: ", "bold"), text.cause))
    console.print(Text.assemble(("Fix:   ", "bold"), text.fix))
    if signature.docs_url:
        console.print(Text.assemble(("Docs:  ", "bold"), signature.docs_url))
    gates = [
        f"min_level {signature.min_level.name}" if signature.min_level else None,
        f"logger_prefix {spec.logger_prefix}" if spec.logger_prefix else None,
        f"formats {', '.join(spec.applies_to.formats)}" if spec.applies_to.formats else None,
        f"min_count {spec.threshold.min_count}"
        + (f" within {spec.threshold.window_secs}s" if spec.threshold.window_secs else ""),
    ]
    console.print(Text.assemble(("Gates: ", "bold"), "; ".join(g for g in gates if g)))
    console.print(Text("Patterns:", style="bold"))
    for pattern in spec.patterns:
        console.print(Text(f"  {pattern}"))
    if spec.examples:
        console.print(Text("Matches:", style="bold"))
        for line in spec.examples.match:
            console.print(Text(f"  {line}", style="green"))
        console.print(Text("Does not match:", style="bold"))
        for line in spec.examples.no_match:
            console.print(Text(f"  {line}", style="dim"))


@catalog_app.command("export")
def export_command(
    patterns: Annotated[
        bool, typer.Option("--patterns", help="Print every pattern, one per line.")
    ] = False,
    pack: Annotated[list[str] | None, typer.Option(help="Only these packs (repeatable).")] = None,
    rules: Annotated[
        list[Path] | None, typer.Option(help="Also your own rules file (repeatable).")
    ] = None,
) -> None:
    """Export the effective catalog's patterns for other tools (grep -E/-P, ripgrep).

    Patterns are rewritten from Python `re` into an ASCII dialect that PCRE and Rust `regex`
    (ripgrep) accept, matching at least what the pattern matches (case-insensitively; look-arounds
    are dropped). A pattern that cannot be rewritten is reported on stderr and left out.
    """
    if not patterns:
        fail("nothing to export: use --patterns")
    catalog = _load(pack, rules)
    for signature in catalog.signatures:
        for pattern in signature.spec.patterns:
            try:
                typer.echo(to_multipattern(pattern))
            except Unsupported as error:
                Console(stderr=True).print(
                    f"[yellow]left out:[/] {signature.id}: {error}", highlight=False
                )


@catalog_app.command("test")
def test_command(
    pack_or_file: Annotated[str, typer.Argument(help="A shipped pack name or a YAML rules file.")],
    log: Annotated[list[str], typer.Argument(help="Log files or directories to test against.")],
    timezone: Annotated[
        str | None, typer.Option(help="Zone of timestamps without an offset.")
    ] = "local",
) -> None:
    """Run a pack or rules file over a log: what matched, what missed, and why.

    Like fail2ban-regex: for every signature, the records it counted, the records its pattern found
    but a gate (level, logger, format) stopped, and whether min_count was reached.
    """
    if pack_or_file in available_packs():
        catalog = _load([pack_or_file])
    elif Path(pack_or_file).is_file():
        catalog = _load([], [Path(pack_or_file)])
        if not catalog.signatures and not catalog.errors:
            fail(f"{pack_or_file}: no rules found (expected a list under 'signatures:')")
    else:
        fail(
            f"{pack_or_file!r} is neither a shipped pack "
            f"({', '.join(available_packs())}) nor a file"
        )
    engine = Engine(catalog)
    options = ScanOptions(tz=timezone_option(timezone), now=SystemClock().now())
    stopped: dict[str, Counter[Gate]] = defaultdict(Counter)
    examples: dict[tuple[str, Gate], list[str]] = defaultdict(list)
    try:
        for source in discover_inputs(log):
            _, stream = iter_source_records(source, options)
            for record in stream:
                hit = engine.feed(record)
                for verdict in engine.matcher.explain(record):
                    won = hit is not None and hit.signature_id == verdict.signature_id
                    gate = Gate.PASSED if won else verdict.gate
                    if gate is Gate.PASSED and not won:
                        continue  # a more specific signature took this record
                    if not won:
                        stopped[verdict.signature_id][gate] += 1
                    bucket = examples[(verdict.signature_id, gate)]
                    if len(bucket) < _EXAMPLES_PER_REASON:
                        bucket.append(
                            f"{record.source}:{record.line}: {record.raw[:160]}"
                            + (f"  ({verdict.detail})" if verdict.detail else "")
                        )
    except InputError as error:
        fail(str(error))
    _print_test_report(engine, examples, stopped)


def _print_test_report(
    engine: Engine,
    examples: dict[tuple[str, Gate], list[str]],
    stopped: dict[str, Counter[Gate]],
) -> None:
    console = Console()
    reported = {f.signature_id for f in engine.findings()}
    table = Table(title=f"{engine.records_count} records tested")
    for column in ("signature", "counted", "reported", "stopped by a gate"):
        table.add_column(column)
    ids = [c.signature.id for c in engine.matcher.signatures]
    for signature_id in sorted(ids, key=lambda i: (-engine.hits_by_signature[i], i)):
        hits = engine.hits_by_signature[signature_id]
        gates = stopped.get(signature_id, Counter())
        if not hits and not gates:
            continue
        signature = engine.catalog.get(signature_id)
        minimum = signature.spec.threshold.min_count if signature else 1
        status = (
            "yes"
            if signature_id in reported
            else f"no: below min_count ({hits} < {minimum})"
            if hits
            else "no"
        )
        table.add_row(
            signature_id,
            str(hits),
            status,
            ", ".join(f"{gate.value} ×{n}" for gate, n in gates.items()) or "–",
        )
    console.print(table)
    for (signature_id, gate), lines in sorted(examples.items()):
        label = "matched" if gate is Gate.PASSED else f"missed: {gate.value}"
        console.print(
            Text(
                f"{signature_id} — {label}",
                style="bold green" if gate is Gate.PASSED else "bold yellow",
            )
        )
        for line in lines:
            console.print(Text(f"  {line}", style="dim"), soft_wrap=True)
    matched = sum(engine.hits_by_signature.values())
    console.print(
        f"Lines matched: {matched} of {engine.records_count} records; "
        f"findings reported: {len(reported)}; unparsed: {engine.unparsed_count}"
    )
    for error in engine.catalog.errors + engine.errors:
        console.print(Text(f"rule error: {error}", style="red"))
