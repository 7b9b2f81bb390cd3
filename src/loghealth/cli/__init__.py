"""Command-line interface (Typer + Rich): `scan`, `parse`, `catalog`."""
