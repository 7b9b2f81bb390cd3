"""Sources: one-shot reading of files, directories (recursive), gzip files and stdin.

Lines are split on LF; a trailing CR is dropped, NUL bytes are removed and invalid UTF-8 is
replaced with U+FFFD, so no byte sequence can stop a scan.
"""

from __future__ import annotations

import fnmatch
import gzip
import io
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "DEFAULT_INCLUDE",
    "GZIP_MAGIC",
    "READ_ERRORS",
    "FileInput",
    "InputError",
    "decode_line",
    "discover_inputs",
    "open_file",
    "read_lines",
]

DEFAULT_INCLUDE: tuple[str, ...] = (
    "*.log",
    "*.log.[0-9]*",
    "*.log.gz",
    "*.jsonl",
    "*.ndjson",
    "*.out",
    "*.err",
    "*.txt",
    "syslog*",
    "messages*",
    "*_log",
    "*_log.[0-9]*",
    "*.gz",
)
"""Names read from a directory without `--include` (files named explicitly are always read)."""

GZIP_MAGIC = b"\x1f\x8b"
"""The first two bytes of a gzip file (RFC 1952, section 2.3.1)."""
READ_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, zlib.error)
"""What reading a file, or a corrupt or truncated gzip stream, raises."""
_SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules"}


class InputError(Exception):
    """A path given by the user cannot be read (missing, unreadable)."""


@dataclass(frozen=True, slots=True)
class FileInput:
    """One input: `name` is the source id shown in reports; `path` is None for stdin."""

    name: str
    path: Path | None
    size_bytes: int


def _matches(relative: str, patterns: Sequence[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(relative, p) for p in patterns)


def _walk(root: Path, include: Sequence[str], exclude: Sequence[str]) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if any(part in _SKIP_DIRS for part in path.relative_to(root).parts):
            continue
        if path.is_file() and _matches(relative, include) and not _matches(relative, exclude):
            found.append(path)
    return found


def discover_inputs(
    paths: Sequence[str],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[FileInput]:
    """Expand files, directories (recursive) and `-` (stdin) into inputs, in a stable order.

    Directories are walked with `include` globs (default `DEFAULT_INCLUDE`) minus `exclude`
    globs, matched against the file name and the path relative to the directory.

    Raises:
        InputError: a path does not exist or is neither a file nor a directory.
    """
    patterns = tuple(include) or DEFAULT_INCLUDE
    inputs: list[FileInput] = []
    for text in paths:
        if text == "-":
            inputs.append(FileInput(name="-", path=None, size_bytes=0))
            continue
        path = Path(text)
        if path.is_dir():
            inputs.extend(
                FileInput(str(p), p, p.stat().st_size) for p in _walk(path, patterns, exclude)
            )
        elif path.is_file():
            inputs.append(FileInput(str(path), path, path.stat().st_size))
        elif path.exists():
            raise InputError(f"{text}: not a regular file or directory")
        else:
            raise InputError(f"{text}: no such file or directory")
    return inputs


def open_file(path: Path) -> io.BufferedIOBase:
    """`path` opened for binary reading, decompressed when it is a gzip file (its magic bytes).

    Raises:
        OSError: the file cannot be opened.
    """
    handle = path.open("rb")
    if handle.read(2) == GZIP_MAGIC:
        handle.close()
        return gzip.GzipFile(path, "rb")
    handle.seek(0)
    return handle


def decode_line(raw: bytes) -> str:
    r"""One line's bytes (with or without its `\n`) as every reader decodes them.

    A trailing CR is dropped, NUL bytes are removed, invalid UTF-8 becomes U+FFFD.
    """
    data = raw.rstrip(b"\n").rstrip(b"\r")
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
    return data.decode("utf-8", errors="replace")


def _open(source: FileInput) -> BinaryIO | io.BufferedIOBase:
    if source.path is None:
        return sys.stdin.buffer
    try:
        return open_file(source.path)
    except OSError as error:
        raise InputError(f"{source.name}: {error.strerror or error}") from None


def read_lines(source: FileInput, on_bytes: Callable[[int], None] | None = None) -> Iterator[str]:
    """Yield decoded lines (without line endings) of one input.

    `on_bytes(n)` is called with the raw bytes consumed (before decompression for `.gz` it is the
    decompressed size), for progress bars.

    Raises:
        InputError: the file cannot be opened or a gzip stream is corrupt.
    """
    handle = _open(source)
    try:
        for raw in handle:
            if on_bytes is not None:
                on_bytes(len(raw))
            yield decode_line(raw)
    except READ_ERRORS as error:
        raise InputError(f"{source.name}: {error}") from None
    finally:
        if source.path is not None:
            handle.close()
